//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/data/corrupt"
	"github.com/ferryml/ferry/pipelines/data/quality"
	"github.com/ferryml/ferry/pipelines/data/schema"
)

// The sample batch passes every data check.
func TestCheckDataPassesOnTheGoodBatch(t *testing.T) {
	e := testbedEnv(t)
	call(t, e, "check-data", "assert")
	if s := call(t, e, "check-data", "summary"); !strings.HasPrefix(s, "data checks passed") {
		t.Errorf("summary = %q, want passed", s)
	}
}

// Each corruption of the batch fails `check-data … assert`, and the failure
// names the rule it broke (or, for unreadable input, says what is wrong).
func TestCheckDataFailsOnEachCorruption(t *testing.T) {
	e := testbedEnv(t)
	dir := filepath.Join(root(t), "models", "data")
	sch, err := schema.Load(filepath.Join(dir, "schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := quality.Load(filepath.Join(dir, "quality.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cases := corrupt.Cases(sch, spec)
	if len(cases) < 6 {
		t.Fatalf("%d corruption cases, want at least 6", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			batch := filepath.Join(t.TempDir(), "batch-"+c.Name+".csv")
			if err := c.Apply(filepath.Join(dir, "batch-001.csv"), batch); err != nil {
				t.Fatal(err)
			}
			r := callResult(t, e, true, "check-data", "--batch="+batch, "assert")
			if r.err == nil {
				t.Fatalf("check-data assert on %s passed, want a failure", c.Name)
			}
			want := append([]string{}, c.Rules...)
			if c.Error != "" {
				want = append(want, c.Error)
			}
			for _, w := range want {
				if strings.Contains(r.stderr, w) {
					return
				}
			}
			t.Errorf("check-data assert on %s failed without naming any of %q:\n%s", c.Name, want, tail(r.stderr, 30))
		})
	}
}
