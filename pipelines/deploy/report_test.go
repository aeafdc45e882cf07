package deploy

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	digestV1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	digestV2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func TestReportGolden(t *testing.T) {
	started := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		rep  Report
	}{
		{"deployed", Report{
			Env: Staging, Namespace: "diamonds-staging", From: digestV1, To: digestV2, Strategy: "rolling",
			Steps: []Step{
				{Name: "validate", Result: Passed, Detail: "4 objects, Deployment diamonds, Service diamonds", Duration: time.Millisecond},
				{Name: "verify", Result: Passed, Detail: "registry.test/diamonds@" + digestV2, Duration: 2 * time.Millisecond},
				{Name: "apply", Result: Passed, Detail: "4 objects", Duration: 120 * time.Millisecond},
				{Name: "rollout", Result: Passed, Detail: "2/2 available in 1.5s", Duration: 1500 * time.Millisecond},
				{Name: "smoke", Result: Passed, Detail: "passed in 80ms", Duration: 80 * time.Millisecond},
			},
			Retries: 2, Started: started, Duration: 1900 * time.Millisecond,
		}},
		{"rolled-back-canary", Report{
			Env: Production, Namespace: "diamonds", From: digestV1, To: digestV2, Strategy: "canary",
			Approval: "jane | CHG-42",
			Steps: []Step{
				{Name: "apply canary", Result: Passed, Detail: "4 objects, Deployment diamonds-canary", Duration: 90 * time.Millisecond},
				{Name: "analysis", Result: Failed, Detail: "canary analysis failed: predictions agree in 0.00 of 20 rounds < 0.95 (MinAgreement)", Duration: 3 * time.Second},
				{Name: "rollback", Result: Passed, Detail: "3 objects restored, 1 removed", Duration: 50 * time.Millisecond},
				{Name: "rollback verify", Result: Passed, Detail: "previous version serves again", Duration: 400 * time.Millisecond},
			},
			Analysis: &AnalysisResult{StablePod: "diamonds-abc", CanaryPod: "diamonds-canary-xyz", Requests: 20,
				StableP95Ms: 4.2, CanaryP95Ms: 5.1, LatencyRatio: 1, Agreement: 0,
				Failures: []string{"predictions agree in 0.00 of 20 rounds < 0.95 (MinAgreement)"}},
			RolledBack: true, Reason: "analysis: canary analysis failed",
			Recovery: 450 * time.Millisecond, Started: started, Duration: 4 * time.Second,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js, err := tt.rep.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "report-"+tt.name+".json"), js)
			golden(t, filepath.Join("testdata", "report-"+tt.name+".md"), []byte(tt.rep.Markdown()))
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines that differ, want then got.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d\n- %s\n+ %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

func TestReportOK(t *testing.T) {
	r := Report{Steps: []Step{{Name: "apply", Result: Passed}}}
	if !r.OK() {
		t.Errorf("OK() = false for all steps passed, want true")
	}
	r.Steps = append(r.Steps, Step{Name: "smoke", Result: Failed})
	if r.OK() {
		t.Errorf("OK() = true with a failed step, want false")
	}
}
