package sample

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResampleIsDeterministic(t *testing.T) {
	src := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(src, []byte("a,b\n1,x\n2,y\n3,z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var one, two, other bytes.Buffer
	for _, run := range []struct {
		buf  *bytes.Buffer
		seed uint64
	}{{&one, 7}, {&two, 7}, {&other, 8}} {
		if err := Resample(src, run.buf, 50, run.seed); err != nil {
			t.Fatalf("Resample() error %v", err)
		}
	}
	if !bytes.Equal(one.Bytes(), two.Bytes()) || bytes.Equal(one.Bytes(), other.Bytes()) {
		t.Error("Resample() with one seed differs between runs, or two seeds agree")
	}
	lines := strings.Split(strings.TrimSpace(one.String()), "\n")
	if len(lines) != 51 || lines[0] != "a,b" {
		t.Errorf("Resample(50 rows) wrote %d lines starting %q, want 51 starting a,b", len(lines), lines[0])
	}
	if err := Resample(filepath.Join(t.TempDir(), "none.csv"), &one, 1, 1); err == nil {
		t.Error("Resample(missing file) error = nil, want one")
	}
}
