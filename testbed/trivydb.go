package main

import (
	"context"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryml/ferry/pipelines/scan/trivydbtest"
	"github.com/ferryml/ferry/testbed/internal/registry"
)

// trivyDBRepo is where the test bed serves Trivy's vulnerability database
// on its local registry: a database with no advisories (the public one
// cannot be fetched offline), so scans run the same code path as with
// internet. Tests that need a finding push their own seeded database.
const trivyDBRepo = "aquasecurity/trivy-db:2"

// pushTrivyDB pushes the empty database unless the registry has it.
func (tb *testbed) pushTrivyDB(ctx context.Context, st *state) error {
	ref, err := name.ParseReference(registry.All[0].Addr(st.Link.PeerIP())+"/"+trivyDBRepo, name.Insecure)
	if err != nil {
		return err
	}
	// No advisories, fixed dates: the same bytes, and digest, on every machine.
	img, err := trivydbtest.Image(trivydbtest.Spec{})
	if err != nil {
		return fmt.Errorf("building the test bed's Trivy DB: %w", err)
	}
	want, err := img.Digest()
	if err != nil {
		return err
	}
	if d, err := remote.Head(ref, remote.WithContext(ctx)); err == nil && d.Digest == want {
		return nil
	}
	fmt.Fprintf(os.Stderr, "pushing %s\n", trivyDBRepo)
	if _, err := trivydbtest.Push(ctx, ref, img); err != nil {
		return fmt.Errorf("pushing the test bed's Trivy DB: %w", err)
	}
	return nil
}
