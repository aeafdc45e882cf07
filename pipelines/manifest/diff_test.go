package manifest

import (
	"fmt"
	"strings"
	"testing"
)

// lineDiff returns a line diff of want and got ("-" want only, "+" got
// only) with two lines of context around each change, or "" when they are
// equal. Longest common subsequence: golden files are a few hundred lines.
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
		n    int // line number in want (for ' ' and '-') or got ('+')
	}
	var lines []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, line{' ', a[i], i + 1})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', a[i], i + 1})
			i++
		default:
			lines = append(lines, line{'+', b[j], j + 1})
			j++
		}
	}
	const context = 2
	var sb strings.Builder
	last := -1
	for k, l := range lines {
		near := false
		for d := max(0, k-context); d <= min(len(lines)-1, k+context); d++ {
			near = near || lines[d].op != ' '
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			sb.WriteString("  …\n")
		}
		fmt.Fprintf(&sb, "%c %4d %s\n", l.op, l.n, l.text)
		last = k
	}
	return sb.String()
}

func TestLineDiff(t *testing.T) {
	if d := lineDiff("a\nb\n", "a\nb\n"); d != "" {
		t.Errorf("lineDiff(same) = %q, want \"\"", d)
	}
	got := lineDiff("a\nb\nc", "a\nB\nc")
	for _, l := range []string{"-    2 b", "+    2 B", "     1 a", "     3 c"} {
		if !strings.Contains(got, l+"\n") {
			t.Errorf("lineDiff(a b c, a B c) = \n%s\nwant a line %q", got, l)
		}
	}
	if strings.Index(got, "- ") > strings.Index(got, "+ ") {
		t.Errorf("lineDiff = \n%s\nwant removals before additions", got)
	}
}
