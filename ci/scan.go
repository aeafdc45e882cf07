package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// defaultTrivyDB is Trivy's public vulnerability database. Scans resolve
// its tag to a digest once, then scan against that digest, so a scan's
// result names the exact database it used.
const defaultTrivyDB = "ghcr.io/aquasecurity/trivy-db:2"

// ScanRun is a Trivy scan of the serving image and the policy's verdict.
type ScanRun struct {
	// trivy.json, trivy.sarif, sbom.cdx.json, scan.json and scan.md.
	Reports *dagger.Directory
	// The vulnerability database scanned against, as repository@digest.
	Database string
}

// Scan scans the serving image, unpushed, as a tarball with Trivy (pinned,
// as a container) for vulnerabilities, secrets and misconfigurations, and
// applies the scan policy: severity threshold and an allow-list whose
// entries carry a reason and an expiry date. The database tag is resolved
// to a digest first; the scan itself is cached by image, database digest,
// policy and day.
// +cache="session"
func (s *ServingImage) Scan(
	ctx context.Context,
	// Scan policy (YAML). Default: models/scan-policy.yaml of this module.
	// +optional
	policy *dagger.File,
	// Vulnerability database (an OCI artifact), as repository:tag or
	// repository@sha256:… Default: the module's --trivy-db-repository.
	// +optional
	dbRepository string,
) (*ScanRun, error) {
	m := s.Ferry
	if policy == nil {
		policy = m.Source.File("models/scan-policy.yaml")
	}
	if dbRepository == "" {
		dbRepository = m.TrivyDBRepository
	}
	db, err := m.resolveDigest(ctx, dbRepository)
	if err != nil {
		return nil, fmt.Errorf("scanning: resolving the vulnerability database %s: %w", dbRepository, withStderr(err))
	}
	trivy, err := m.image("trivy")
	if err != nil {
		return nil, err
	}
	insecure := m.insecureFlag(db)
	cacheDir := "/cache/" + strings.ReplaceAll(db[strings.LastIndex(db, "@")+1:], ":", "-")
	trivy = trivy.
		WithMountedCache("/cache", dag.CacheVolume("ferry-trivy-db")).
		WithFile("/in/image.tar", s.Tarball()).
		WithDirectory("/out", dag.Directory()).
		WithExec(append([]string{"trivy", "image", "--quiet", "--cache-dir", cacheDir,
			"--db-repository", db, "--download-db-only"}, insecure...)).
		WithExec([]string{"trivy", "image", "--quiet", "--cache-dir", cacheDir,
			"--skip-db-update", "--skip-java-db-update", "--skip-check-update", "--skip-version-check", "--offline-scan",
			"--scanners", "vuln,secret,misconfig", "--list-all-pkgs",
			"--input", "/in/image.tar", "--format", "json", "--output", "/out/trivy.json"}).
		WithExec([]string{"trivy", "convert", "--quiet", "--format", "sarif", "--output", "/out/trivy.sarif", "/out/trivy.json"}).
		WithExec([]string{"trivy", "convert", "--quiet", "--format", "cyclonedx", "--output", "/out/sbom.cdx.json", "/out/trivy.json"})
	box, err := m.toolbox()
	if err != nil {
		return nil, err
	}
	today := time.Now().UTC().Format("2006-01-02")
	out := box.
		WithDirectory("/out", trivy.Directory("/out")).
		WithFile("/in/policy.yaml", policy).
		WithExec([]string{"ferry", "scan", "gate", "--report", "/out/trivy.json", "--policy", "/in/policy.yaml",
			"--db-repository", db, "--now", today + "T00:00:00Z", "--out", "/out"}).
		Directory("/out")
	return &ScanRun{Reports: out, Database: db}, nil
}

// Report returns the policy's verdict in Markdown.
func (r *ScanRun) Report() *dagger.File { return r.Reports.File("scan.md") }

// Sarif returns Trivy's findings as SARIF, for GitHub code scanning.
func (r *ScanRun) Sarif() *dagger.File { return r.Reports.File("trivy.sarif") }

// Sbom returns the image's CycloneDX SBOM.
func (r *ScanRun) Sbom() *dagger.File { return r.Reports.File("sbom.cdx.json") }

// Json returns Trivy's full JSON report.
func (r *ScanRun) Json() *dagger.File { return r.Reports.File("trivy.json") }

// Summary returns the verdict's first lines.
func (r *ScanRun) Summary(ctx context.Context) (string, error) {
	md, err := r.Report().Contents(ctx)
	if err != nil {
		return "", err
	}
	lines := strings.SplitN(md, "\n", 12)
	if len(lines) > 11 {
		lines = lines[:11]
	}
	return strings.Join(lines, "\n"), nil
}

// Assert fails when the policy fails the scan, naming each failing finding
// and each expired allow-list entry.
func (r *ScanRun) Assert(ctx context.Context) error {
	js, err := r.Reports.File("scan.json").Contents(ctx)
	if err != nil {
		return fmt.Errorf("reading the scan verdict: %w", err)
	}
	var v struct {
		Passed bool `json:"passed"`
	}
	if err := jsonUnmarshal(js, &v); err != nil {
		return fmt.Errorf("reading the scan verdict: %w", err)
	}
	if v.Passed {
		return nil
	}
	md, _ := r.Report().Contents(ctx)
	return fmt.Errorf("the scan failed its policy:\n%s", md)
}

// resolveDigest returns ref pinned by digest: as given when it has one,
// else the tag's current digest (looked up on every call).
func (m *Ferry) resolveDigest(ctx context.Context, ref string) (string, error) {
	if strings.Contains(ref, "@sha256:") {
		return ref, nil
	}
	crane, err := m.crane()
	if err != nil {
		return "", err
	}
	args := append([]string{"crane", "digest"}, m.insecureFlag(ref)...)
	out, err := crane.
		WithEnvVariable("FERRY_RESOLVED_AT", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec(append(args, ref)).
		Stdout(ctx)
	if err != nil {
		return "", err
	}
	digest := strings.TrimSpace(out)
	if !strings.HasPrefix(digest, "sha256:") {
		return "", fmt.Errorf("unexpected digest %q", digest)
	}
	repo := ref
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo = ref[:i]
	}
	return repo + "@" + digest, nil
}

// insecureFlag is --insecure for references on the registries the module
// was told speak plain HTTP.
func (m *Ferry) insecureFlag(ref string) []string {
	host := registryHost(ref)
	for _, h := range m.InsecureRegistries {
		if h == host {
			return []string{"--insecure"}
		}
	}
	return nil
}
