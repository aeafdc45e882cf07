package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/ferryml/ferry/pipelines/retention"
)

// registryPrune keeps the newest --keep versions of --repository and every
// --protect reference (the deployed and pinned ones), deletes the rest, and
// writes the plan and what was done to DIR/retention.json.
//
//	ferry registry prune --repository REPO --keep N [--protect REF]... [--dry-run] [--insecure] --out DIR
//
// Registry credentials come from FERRY_REGISTRY_USERNAME and
// FERRY_REGISTRY_PASSWORD when set (else the Docker config, else anonymous),
// never from flags.
func registryPrune(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry registry prune", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	repo := fs.String("repository", "", "repository to prune, REGISTRY/PATH")
	keep := fs.Int("keep", 0, "how many of the newest versions to keep (at least 1)")
	var protect stringsFlag
	fs.Var(&protect, "protect", "a tag, digest or reference never to delete, e.g. the deployed one (repeat)")
	dryRun := fs.Bool("dry-run", false, "report what would be deleted, delete nothing")
	insecure := fs.Bool("insecure", false, "allow plain HTTP and unverified TLS to the registry")
	out := fs.String("out", "", "folder for retention.json")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: ferry registry prune: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: ferry registry prune: unexpected argument %q", errUsage, fs.Arg(0))
	}
	for name, v := range map[string]string{"repository": *repo, "out": *out} {
		if v == "" {
			return fmt.Errorf("%w: ferry registry prune: --%s is required", errUsage, name)
		}
	}
	if *keep < 1 {
		return fmt.Errorf("%w: ferry registry prune: --keep %d: keep at least 1 version", errUsage, *keep)
	}
	opts := []retention.Option{retention.WithDryRun(*dryRun), retention.WithInsecure(*insecure)}
	if user := os.Getenv("FERRY_REGISTRY_USERNAME"); user != "" {
		opts = append(opts, retention.WithAuth(&authn.Basic{Username: user, Password: os.Getenv("FERRY_REGISTRY_PASSWORD")}))
	}
	p, err := retention.New(opts...)
	if err != nil {
		return err
	}
	plan, err := p.Plan(ctx, *repo, *keep, protect...)
	if err != nil {
		return err
	}
	rep, applyErr := p.Apply(ctx, plan)
	if err := writeRetention(*out, plan, rep); err != nil {
		return err
	}
	if applyErr != nil {
		return applyErr
	}
	fmt.Fprintln(stdout, pruneSummary(plan, rep))
	return nil
}

// writeRetention writes the plan and the report, even after a failed apply:
// what was deleted must be on record.
func writeRetention(dir string, plan retention.Plan, rep retention.Report) error {
	js, err := json.MarshalIndent(struct {
		Plan   retention.Plan   `json:"plan"`
		Report retention.Report `json:"report"`
	}{plan, rep}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing retention.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "retention.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing retention.json: %w", err)
	}
	return nil
}

func pruneSummary(plan retention.Plan, rep retention.Report) string {
	tags := func(ds []retention.Deleted) int {
		n := 0
		for _, d := range ds {
			n += len(d.Tags)
		}
		return n
	}
	kept := len(plan.Kept())
	if rep.DryRun {
		return fmt.Sprintf("dry run: %s would delete %d versions (%d tags), keep %d; nothing deleted",
			plan.Repository, len(rep.WouldDelete), tags(rep.WouldDelete), kept)
	}
	return fmt.Sprintf("pruned %s: deleted %d versions (%d tags), kept %d, skipped %d; verified (tag delete %s)",
		plan.Repository, len(rep.Deleted), tags(rep.Deleted), kept, len(rep.Skipped), rep.TagDelete)
}
