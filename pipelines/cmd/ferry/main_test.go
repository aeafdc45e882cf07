package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/data/corrupt"
	"github.com/ferryml/ferry/pipelines/data/quality"
	"github.com/ferryml/ferry/pipelines/data/schema"
)

const dataDir = "../../../models/data"

func args(batch, out string, extra ...string) []string {
	return append([]string{"data", "check",
		"--schema", filepath.Join(dataDir, "schema.yaml"),
		"--quality", filepath.Join(dataDir, "quality.yaml"),
		"--reference", filepath.Join(dataDir, "reference.csv"),
		"--batch", batch, "--out", out}, extra...)
}

func TestDataCheckPassesOnTheRealBatch(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args(filepath.Join(dataDir, "batch-001.csv"), out), &stdout, &stderr); code != 0 {
		t.Fatalf("run() = %d, stderr %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "data checks passed") {
		t.Errorf("stdout = %q", stdout.String())
	}
	var rep struct{ Passed bool }
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil || json.Unmarshal(b, &rep) != nil || !rep.Passed {
		t.Errorf("report.json = %s, %v; want passed", b, err)
	}
	for _, f := range []string{"report.md", "summary.txt"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// Every corruption that breaks a rule fails the check under --fail, and
// names the rule in the report.
func TestDataCheckFailsOnCorruptBatches(t *testing.T) {
	sch, err := schema.Load(filepath.Join(dataDir, "schema.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := quality.Load(filepath.Join(dataDir, "quality.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range corrupt.Cases(sch, spec) {
		if len(c.Rules) == 0 {
			continue // cases refused as unreadable are covered in pipelines/data
		}
		t.Run(c.Name, func(t *testing.T) {
			batch := filepath.Join(t.TempDir(), "bad.csv")
			if err := c.Apply(filepath.Join(dataDir, "batch-001.csv"), batch); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), args(batch, out, "--fail"), &stdout, &stderr); code != 1 {
				t.Fatalf("run(%s, --fail) = %d, want 1; stderr %s", c.Name, code, stderr.String())
			}
			report, _ := os.ReadFile(filepath.Join(out, "report.json"))
			found := false
			for _, r := range c.Rules {
				found = found || strings.Contains(string(report), `"rule": "`+r+`"`)
			}
			if !found {
				t.Errorf("report of %s names none of the rules %v", c.Name, c.Rules)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"data"}, &stdout, &stderr); code != 2 {
		t.Errorf("run(data) = %d, want 2", code)
	}
	if code := run(context.Background(), []string{"data", "check", "--schema", "x"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--quality is required") && !strings.Contains(stderr.String(), "is required") {
		t.Errorf("run(missing flags) = %d, %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), args("/nonexistent.csv", t.TempDir()), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "nonexistent.csv") {
		t.Errorf("run(missing batch) = %d, stderr %q; want 2 naming the file", code, stderr.String())
	}
}

func TestTrainCheck(t *testing.T) {
	good := "../../register/testdata/output"
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"train", "check", "--output", good}, &stdout, &stderr); code != 0 {
		t.Fatalf("train check (good output) = %d, stderr %s", code, stderr.String())
	}
	bad := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bad, "model"), 0o755); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"train", "check", "--output", bad}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "metrics.json is missing") || !strings.Contains(stderr.String(), "model-settings.json") {
		t.Errorf("train check (empty output) = %d, stderr %q; want 1 naming metrics.json and model-settings.json", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"train", "check", "--output", "/nonexistent"}, &stdout, &stderr); code != 2 {
		t.Errorf("train check (missing folder) = %d, want 2", code)
	}
}
