package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryml/ferry/pipelines/scan"
)

// writeScanInputs writes a Trivy-shaped report with one HIGH openssl finding
// and a policy; allowExpires is the expiry of its allow-list entry ("" for none).
func writeScanInputs(t *testing.T, allowExpires string) (report, policy string) {
	t.Helper()
	dir := t.TempDir()
	rep := scan.Report{SchemaVersion: 2, ArtifactName: "serving.tar", Results: []scan.ReportResult{{
		Target: "serving.tar (debian 12.5)", Class: "os-pkgs", Type: "debian",
		Vulnerabilities: []scan.Vulnerability{{VulnerabilityID: "CVE-2023-5363", PkgName: "libssl3",
			InstalledVersion: "3.0.9-1", FixedVersion: "3.0.11-1~deb12u2", Status: "fixed", Severity: "HIGH"}},
	}}}
	b, _ := json.Marshal(rep)
	report = filepath.Join(dir, "trivy.json")
	policy = filepath.Join(dir, "policy.yaml")
	pol := "severity: HIGH\n"
	if allowExpires != "" {
		pol += "allow:\n  - id: CVE-2023-5363\n    reason: test\n    expires: " + allowExpires + "\n"
	}
	if err := os.WriteFile(report, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(policy, []byte(pol), 0o644); err != nil {
		t.Fatal(err)
	}
	return report, policy
}

func TestScanGate(t *testing.T) {
	for _, tt := range []struct {
		name, expires string
		fail, passed  bool
		wantFailed    bool // a checkFailed error (exit 1)
		want          string
	}{
		{"failing finding, report only", "", false, false, false, "scan gate failed: 1 failures"},
		{"failing finding with --fail", "", true, false, true, "upgrade libssl3 from 3.0.9-1 to 3.0.11-1~deb12u2"},
		{"allow-listed with a future expiry", "2027-01-31", true, true, false, "scan gate passed: 0 failures"},
		{"allow-listed with a past expiry", "2026-01-31", true, false, true, "allow-list entry CVE-2023-5363 expired on 2026-01-31"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			report, policy := writeScanInputs(t, tt.expires)
			out := t.TempDir()
			args := []string{"--report", report, "--policy", policy, "--out", out, "--now", "2026-06-01T00:00:00Z",
				"--db-repository", "127.0.0.1:5000/trivy-db:2", "--db-digest", "sha256:0123"}
			if tt.fail {
				args = append(args, "--fail")
			}
			var stdout bytes.Buffer
			err := scanGate(context.Background(), args, &stdout)
			var failed checkFailed
			if errors.As(err, &failed) != tt.wantFailed || (err != nil && !tt.wantFailed) {
				t.Fatalf("scanGate() = %v, want checkFailed %v", err, tt.wantFailed)
			}
			if got := stdout.String() + errString(err); !strings.Contains(got, tt.want) {
				t.Errorf("scanGate() printed %q and returned %v, want %q", stdout.String(), err, tt.want)
			}
			var res scan.Result
			b, err := os.ReadFile(filepath.Join(out, "scan.json"))
			if err != nil || json.Unmarshal(b, &res) != nil {
				t.Fatalf("scan.json = %s, %v", b, err)
			}
			if res.Passed != tt.passed || res.DB.Digest != "sha256:0123" || res.EvaluatedAt.Format("2006-01-02") != "2026-06-01" {
				t.Errorf("scan.json passed %v db %+v at %s, want passed %v, the DB and the --now time", res.Passed, res.DB, res.EvaluatedAt, tt.passed)
			}
			md, err := os.ReadFile(filepath.Join(out, "scan.md"))
			if err != nil || !bytes.Contains(md, []byte("CVE-2023-5363")) {
				t.Errorf("scan.md = %s, %v; want it to name the CVE", md, err)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestScanGateRefusesBadInput(t *testing.T) {
	report, policy := writeScanInputs(t, "")
	badPolicy := filepath.Join(t.TempDir(), "bad.yaml")
	notJSON := filepath.Join(t.TempDir(), "trivy.json")
	for path, data := range map[string]string{
		badPolicy: "severity: HIGH\nallow:\n  - id: CVE-1\n    expires: 2027-01-31\n",
		notJSON:   "Total: 0 (HIGH: 0)\n",
	} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	for _, tt := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no report", []string{"--policy", policy, "--out", out}, true, "--report is required"},
		{"no out", []string{"--report", report, "--policy", policy}, true, "--out is required"},
		{"unknown flag", []string{"--reprt", report}, true, "reprt"},
		{"bad now", []string{"--report", report, "--policy", policy, "--out", out, "--now", "yesterday"}, true, "RFC 3339"},
		{"bad digest", []string{"--report", report, "--policy", policy, "--out", out, "--db-digest", "abc"}, true, "sha256:"},
		{"policy without reason", []string{"--report", report, "--policy", badPolicy, "--out", out}, false, "allow[0] (CVE-1) has no reason"},
		{"report not JSON", []string{"--report", notJSON, "--policy", policy, "--out", out}, false, "trivy --format json"},
		{"missing metadata", []string{"--report", report, "--policy", policy, "--out", out, "--db-metadata", "/nonexistent/metadata.json"}, false, "trivy DB metadata"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := scanGate(context.Background(), tt.args, io.Discard)
			var failed checkFailed
			if err == nil || errors.As(err, &failed) || errors.Is(err, errUsage) != tt.usage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("scanGate(%v) = %v, want a bad-input error (usage %v) containing %q", tt.args, err, tt.usage, tt.want)
			}
		})
	}
}

func TestScanTestDBPushes(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/aquasecurity/trivy-db:2"
	push := func(args ...string) string {
		t.Helper()
		var stdout bytes.Buffer
		if err := scanTestDB(context.Background(), append(args, "--push", repo, "--insecure"), &stdout); err != nil {
			t.Fatalf("scanTestDB(%v) = %v", args, err)
		}
		return strings.TrimSpace(stdout.String())
	}
	seeded := push("--advisory", "debian 12|openssl|CVE-2023-5363|3.0.11-1~deb12u2|HIGH")
	ref, err := name.ParseReference(repo)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref)
	if err != nil || desc.Digest.String() != seeded {
		t.Fatalf("registry holds %v (%v), want the printed digest %s", desc, err, seeded)
	}
	if again := push("--advisory", "debian 12|openssl|CVE-2023-5363|3.0.11-1~deb12u2|HIGH"); again != seeded {
		t.Errorf("scanTestDB printed %s then %s for the same advisory, want one digest", seeded, again)
	}
	if empty := push(); empty == seeded || !strings.HasPrefix(empty, "sha256:") {
		t.Errorf("scanTestDB with no advisory printed %q, want another digest", empty)
	}
}

func TestScanTestDBRefusesBadInput(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--advisory", "debian 12|openssl|CVE-1|1.0|HIGH"}, "--push is required"},
		{[]string{"--advisory", "debian 12|openssl|CVE-1", "--push", "r/x:2"}, "SOURCE|PACKAGE|ID|FIXED|SEVERITY"},
		{[]string{"--push", "r/x:2", "--updated-at", "today"}, "RFC 3339"},
		{[]string{"--push", "UPPER/Case:2"}, "--push"},
	} {
		err := scanTestDB(context.Background(), tt.args, io.Discard)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("scanTestDB(%v) = %v, want a usage error containing %q", tt.args, err, tt.want)
		}
	}
}
