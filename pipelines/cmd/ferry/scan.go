package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryml/ferry/pipelines/scan"
	"github.com/ferryml/ferry/pipelines/scan/trivydbtest"
)

// scanGate judges a Trivy JSON report against a scan policy (scan.Evaluate)
// and writes scan.json and scan.md to --out.
//
//	ferry scan gate --report trivy.json --policy scan-policy.yaml --out DIR
//	    [--db-repository REF --db-digest sha256:… --db-metadata metadata.json] [--now RFC3339] [--fail]
func scanGate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry scan gate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	reportPath := fs.String("report", "", "Trivy JSON report (trivy … --format json)")
	policyPath := fs.String("policy", "", "scan policy (e.g. models/diamonds/scan-policy.yaml)")
	out := fs.String("out", "", "folder for scan.json and scan.md")
	var db scan.DB
	fs.StringVar(&db.Repository, "db-repository", "", "the --db-repository the vulnerability DB came from")
	fs.StringVar(&db.Digest, "db-digest", "", "the vulnerability DB artifact's digest (sha256:…)")
	dbMeta := fs.String("db-metadata", "", "the DB's metadata.json (<trivy cache dir>/db/metadata.json), for its UpdatedAt")
	nowFlag := fs.String("now", "", "evaluate at this time, RFC 3339 (default: now; for tests)")
	fail := fs.Bool("fail", false, "exit 1 when the gate fails (default: the verdict is only in the report)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: ferry scan gate: %v", errUsage, err)
	}
	for _, f := range []struct{ name, v string }{{"report", *reportPath}, {"policy", *policyPath}, {"out", *out}} {
		if f.v == "" {
			return fmt.Errorf("%w: ferry scan gate: --%s is required", errUsage, f.name)
		}
	}
	if db.Digest != "" && !strings.HasPrefix(db.Digest, "sha256:") {
		return fmt.Errorf("%w: ferry scan gate: --db-digest %q: give the manifest digest, sha256:…", errUsage, db.Digest)
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("%w: ferry scan gate: --now %q: give a time as RFC 3339, e.g. 2026-06-01T12:00:00Z", errUsage, *nowFlag)
		}
		now = t
	}
	if *dbMeta != "" {
		m, err := scan.ReadDBMetadata(*dbMeta)
		if err != nil {
			return err
		}
		db.UpdatedAt, db.NextUpdate = m.UpdatedAt, m.NextUpdate
	}
	policy, err := scan.LoadPolicy(*policyPath)
	if err != nil {
		return err
	}
	report, err := scan.LoadReport(*reportPath)
	if err != nil {
		return err
	}
	res := scan.Evaluate(report, policy, now, scan.WithDB(db))
	js, err := res.JSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("writing the scan result: %w", err)
	}
	for name, b := range map[string][]byte{"scan.json": js, "scan.md": scan.Markdown(res)} {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			return fmt.Errorf("writing the scan result: %w", err)
		}
	}
	verdict := "passed"
	if !res.Passed {
		verdict = "failed"
	}
	fmt.Fprintf(stdout, "scan gate %s: %d failures, %d findings (%d allowed, %d warned, %d unfixed ignored, %d below threshold); see %s\n",
		verdict, len(res.Failures), len(res.Findings), res.Outcomes[scan.Allowed], res.Outcomes[scan.Warned],
		res.Outcomes[scan.Unfixed], res.Outcomes[scan.BelowThreshold], filepath.Join(*out, "scan.md"))
	if *fail && !res.Passed {
		msgs := make([]string, len(res.Failures))
		for i, f := range res.Failures {
			msgs[i] = f.Message
		}
		return checkFailed{fmt.Errorf("scan gate failed:\n  %s", strings.Join(msgs, "\n  "))}
	}
	return nil
}

// scanTestDB builds a Trivy vulnerability DB from the advisories given and
// pushes it to --push, printing the pushed digest. The test bed and the e2e
// seed a registry with it so real Trivy finds a known CVE with no network.
//
//	ferry scan test-db --advisory 'debian 12|openssl|CVE-2023-5363|3.0.11-1~deb12u2|HIGH' … --push REF [--insecure]
func scanTestDB(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry scan test-db", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var advisories stringsFlag
	fs.Var(&advisories, "advisory", "SOURCE|PACKAGE|ID|FIXED|SEVERITY[|TITLE] (repeat; none gives an empty DB)")
	push := fs.String("push", "", "reference to push the DB artifact to, e.g. registry:5000/aquasecurity/trivy-db:2")
	insecure := fs.Bool("insecure", false, "the registry speaks plain HTTP")
	updated := fs.String("updated-at", "", "the DB's UpdatedAt, RFC 3339 (default 2026-01-01T00:00:00Z, for a stable digest)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: ferry scan test-db: %v", errUsage, err)
	}
	if *push == "" {
		return fmt.Errorf("%w: ferry scan test-db: --push is required", errUsage)
	}
	var spec trivydbtest.Spec
	for _, a := range advisories {
		adv, err := trivydbtest.ParseAdvisory(a)
		if err != nil {
			return fmt.Errorf("%w: ferry scan test-db: --advisory: %v", errUsage, err)
		}
		spec.Advisories = append(spec.Advisories, adv)
	}
	if *updated != "" {
		t, err := time.Parse(time.RFC3339, *updated)
		if err != nil {
			return fmt.Errorf("%w: ferry scan test-db: --updated-at %q: give a time as RFC 3339", errUsage, *updated)
		}
		spec.UpdatedAt = t
	}
	var opts []name.Option
	if *insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(*push, opts...)
	if err != nil {
		return fmt.Errorf("%w: ferry scan test-db: --push %q: %v", errUsage, *push, err)
	}
	img, err := trivydbtest.Image(spec)
	if err != nil {
		return err
	}
	digest, err := trivydbtest.Push(ctx, ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, digest)
	return nil
}
