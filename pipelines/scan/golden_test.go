package scan_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/scan"
)

// testdata/trivy-report.json is the report of the real Trivy run in
// TestRealTrivyFindsTheSeededCVEAndTheGateJudgesIt, kept to the fields ferry
// reads (go test -run Real -update rewrites it).
const goldenReport = "testdata/trivy-report.json"

// writeGoldenReport keeps rep with the test's temporary folder dir cut from paths.
func writeGoldenReport(t *testing.T, rep scan.Report, dir string) {
	t.Helper()
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte(dir+string(filepath.Separator)), nil)
	if err := os.WriteFile(goldenReport, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := "", ""
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %s\nwant: %s\n(go test -update rewrites it)", path, i+1, g, w)
			}
		}
	}
}

func TestResultGolden(t *testing.T) {
	rep, err := scan.LoadReport(goldenReport)
	if err != nil {
		t.Fatal(err)
	}
	p, err := scan.LoadPolicy("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db := scan.DB{Repository: "127.0.0.1:5000/aquasecurity/trivy-db:2", Digest: "sha256:c2181cbd210429fe548ad577bce90bcc344960f104be9b2827e46526eaca214d",
		UpdatedAt: time.Date(2026, 5, 30, 0, 0, 0, 0, time.UTC)}
	res := scan.Evaluate(rep, p, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), scan.WithDB(db))
	js, err := res.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "scan.md.golden", scan.Markdown(res))
	golden(t, "scan.json.golden", js)
}
