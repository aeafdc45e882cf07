package scan_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/ferryml/ferry/pipelines/scan"
	"github.com/ferryml/ferry/pipelines/scan/trivydbtest"
)

var update = flag.Bool("update", false, "rewrite the golden files (and testdata/trivy-report.json from a real Trivy run)")

// Seeded test data: two real advisories, copied into a DB built by the test.
// CVE-2023-5363 ("Incorrect cipher key and IV length processing") affects
// Debian 12's openssl source package (binary packages openssl, libssl3) and
// was fixed by DSA-5532-1 in 3.0.11-1~deb12u2; the fixture has 3.0.9-1, the
// version Debian 12.0 shipped. CVE-2024-5206 (GHSA-jw8x-6495-233v) affects
// scikit-learn before 1.5.0; the fixture has 1.4.2.
var seeded = []trivydbtest.Advisory{
	{Source: "debian 12", Package: "openssl", VulnerabilityID: "CVE-2023-5363", FixedVersion: "3.0.11-1~deb12u2",
		Severity: "HIGH", Title: "openssl: Incorrect cipher key and IV length processing"},
	{Source: "pip", Package: "scikit-learn", VulnerabilityID: "CVE-2024-5206", FixedVersion: "1.5.0",
		Severity: "MEDIUM", Title: "scikit-learn: sensitive data leakage in TfidfVectorizer"},
}

const dpkgStatus = `Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.9-1

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 3.0.9-1

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1
`

// fixtureImage writes a one-layer image tarball shaped like a Debian 12
// serving image: dpkg status, a Python package, a Dockerfile without USER,
// and a GitHub token made up at run time (fake, never valid).
func fixtureImage(t *testing.T) string {
	t.Helper()
	token := "ghp_" + strings.ToUpper(rand.Text())[:26] + "abcdefghij"
	files := []struct{ name, data string }{
		{"etc/debian_version", "12.2\n"},
		{"var/lib/dpkg/status", dpkgStatus},
		{"app/settings.env", "GITHUB_TOKEN=" + token + "\n"},
		{"app/Dockerfile", "FROM debian:12\nCOPY . /app\n"},
		{"usr/local/lib/python3.11/site-packages/scikit_learn-1.4.2.dist-info/METADATA", "Metadata-Version: 2.1\nName: scikit-learn\nVersion: 1.4.2\n"},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg.OS, cfg.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := tarball.WriteToFile(path, name.MustParseReference("ferry.test/serving:1"), img); err != nil {
		t.Fatal(err)
	}
	return path
}

// trivy runs the real trivy and fails the test on a non-zero exit.
func trivy(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, trivydbtest.Binary(t), args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("trivy %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
}

// scanWithDB downloads the DB from served into a fresh cache, as the Dagger
// module does, then scans image offline and returns the JSON report's path.
func scanWithDB(t *testing.T, served trivydbtest.Served, image string) (report, cacheDir string) {
	cacheDir, out := t.TempDir(), t.TempDir()
	common := []string{"--cache-dir", cacheDir, "--quiet", "--skip-version-check", "--disable-telemetry"}
	trivy(t, append([]string{"image", "--download-db-only", "--db-repository", served.Repository}, common...)...)
	report = filepath.Join(out, "trivy.json")
	trivy(t, append([]string{"image", "--input", image, "--scanners", "vuln,secret,misconfig",
		"--skip-db-update", "--offline-scan", "--skip-check-update", "--format", "json", "--output", report}, common...)...)
	return report, cacheDir
}

func TestRealTrivyFindsTheSeededCVEAndTheGateJudgesIt(t *testing.T) {
	trivydbtest.Binary(t) // skip (or fail in CI) before building anything
	image := fixtureImage(t)
	served := trivydbtest.Serve(t, trivydbtest.Spec{Advisories: seeded})
	reportPath, cacheDir := scanWithDB(t, served, image)
	rep, err := scan.LoadReport(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Metadata.OS == nil || rep.Metadata.OS.Family != "debian" || rep.Metadata.OS.Name != "12.2" {
		t.Errorf("report OS = %+v, want debian 12.2", rep.Metadata.OS)
	}
	got := map[string]scan.Vulnerability{}
	var secrets, misconfigs []string
	for _, r := range rep.Results {
		for _, v := range r.Vulnerabilities {
			got[v.VulnerabilityID+" "+v.PkgName] = v
		}
		for _, s := range r.Secrets {
			secrets = append(secrets, s.RuleID)
		}
		for _, m := range r.Misconfigurations {
			misconfigs = append(misconfigs, m.ID)
		}
	}
	for _, pkg := range []string{"libssl3", "openssl"} {
		v, ok := got["CVE-2023-5363 "+pkg]
		if !ok || v.InstalledVersion != "3.0.9-1" || v.FixedVersion != "3.0.11-1~deb12u2" || v.Severity != "HIGH" || v.Status != "fixed" {
			t.Errorf("trivy found CVE-2023-5363 in %s as %+v, want 3.0.9-1 fixed in 3.0.11-1~deb12u2, HIGH", pkg, v)
		}
	}
	if v, ok := got["CVE-2024-5206 scikit-learn"]; !ok || v.InstalledVersion != "1.4.2" || v.FixedVersion != "1.5.0" || v.Severity != "MEDIUM" {
		t.Errorf("trivy found CVE-2024-5206 in scikit-learn as %+v, want 1.4.2 fixed in 1.5.0, MEDIUM", v)
	}
	if len(got) != 3 {
		t.Errorf("trivy found %d vulnerabilities %v, want the 3 seeded (zlib has none)", len(got), got)
	}
	if strings.Join(secrets, ",") != "github-pat" || !strings.Contains(strings.Join(misconfigs, ","), "DS-0002") {
		t.Errorf("trivy found secrets %v, misconfigurations %v; want github-pat and DS-0002", secrets, misconfigs)
	}
	db, err := scan.ReadDBMetadata(filepath.Join(cacheDir, "db", "metadata.json"))
	if err != nil || !db.UpdatedAt.Equal(trivydbtest.DefaultUpdatedAt) {
		t.Errorf("downloaded DB metadata = %+v, %v; want UpdatedAt %s", db, err, trivydbtest.DefaultUpdatedAt)
	}
	if *update {
		writeGoldenReport(t, rep, filepath.Dir(image))
	}

	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	base := "severity: HIGH\nsecrets: warn\nmisconfig: warn\n"
	entry := "allow:\n  - id: CVE-2023-5363\n    reason: seeded test advisory\n    expires: "
	for _, tt := range []struct {
		name, policy string
		passed       bool
		want         string
	}{
		{"no allow-list fails on the CVE", base, false, "upgrade libssl3 from 3.0.9-1 to 3.0.11-1~deb12u2"},
		{"allow-listed with a future expiry passes", base + entry + "2027-01-31\n", true, ""},
		{"allow-listed with a past expiry fails naming the entry", base + entry + "2026-01-31\n", false,
			"allow-list entry CVE-2023-5363 expired on 2026-01-31 (policy.yaml: allow[0]); renew it with a new reason or fix the package"},
		{"secrets: fail fails on the token", "severity: CRITICAL\nmisconfig: warn\n", false, "secret github-pat (CRITICAL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := scan.ParsePolicy([]byte(tt.policy), "policy.yaml")
			if err != nil {
				t.Fatal(err)
			}
			res := scan.Evaluate(rep, p, now, scan.WithDB(db))
			var msgs []string
			for _, f := range res.Failures {
				msgs = append(msgs, f.Message)
			}
			if res.Passed != tt.passed || !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
				t.Errorf("Evaluate() passed %v failures %q, want passed %v and %q", res.Passed, msgs, tt.passed, tt.want)
			}
		})
	}

	// The Dagger module converts the same report to SARIF and CycloneDX.
	for _, format := range []string{"sarif", "cyclonedx"} {
		out := filepath.Join(t.TempDir(), "report."+format)
		trivy(t, "convert", "--format", format, "--output", out, reportPath)
		if b, err := os.ReadFile(out); err != nil || !bytes.Contains(b, []byte("CVE-2023-5363")) {
			t.Errorf("trivy convert --format %s wrote %d bytes (%v), want CVE-2023-5363 in them", format, len(b), err)
		}
	}
}

func TestRealTrivyFindsNothingWithAnEmptyDB(t *testing.T) {
	trivydbtest.Binary(t)
	served := trivydbtest.Serve(t, trivydbtest.Spec{})
	reportPath, _ := scanWithDB(t, served, fixtureImage(t))
	rep, err := scan.LoadReport(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	p, err := scan.ParsePolicy([]byte("severity: LOW\nsecrets: warn\nmisconfig: warn\n"), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := scan.Evaluate(rep, p, time.Now())
	n := 0
	for _, f := range res.Findings {
		if f.Kind == scan.KindVulnerability {
			n++
		}
	}
	if n != 0 || !res.Passed {
		t.Errorf("with an empty DB: %d vulnerabilities, passed %v (failures %+v); want none and a pass", n, res.Passed, res.Failures)
	}
}
