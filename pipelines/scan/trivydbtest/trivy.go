package trivydbtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryml/ferry/pipelines/cache"
)

// TrivyVersion is the Trivy release whose DB format this package writes.
const TrivyVersion = "v0.74.0"

// errNoTrivy marks a machine without the pinned trivy: tests fail in CI, skip elsewhere.
var errNoTrivy = errors.New("the pinned trivy " + TrivyVersion + " is required: set FERRY_TOOL_TRIVY to the folder " +
	"holding it (testbed env does), or build it into <ferry cache>/tools/trivy-" + TrivyVersion + "-<hash>/")

// Binary returns the pinned trivy: $FERRY_TOOL_TRIVY/trivy, else
// <ferry cache>/tools/trivy-v0.74.0-*/trivy. Without it the test is skipped,
// or fails in CI (CI set, and not "false" or "0").
func Binary(t testing.TB) string {
	t.Helper()
	path, err := findBinary()
	if err != nil {
		if ci := strings.ToLower(os.Getenv("CI")); errors.Is(err, errNoTrivy) && (ci == "" || ci == "false" || ci == "0") {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	return path
}

func findBinary() (string, error) {
	if dir := os.Getenv("FERRY_TOOL_TRIVY"); dir != "" {
		path := filepath.Join(dir, "trivy")
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("FERRY_TOOL_TRIVY=%s: %w", dir, err)
		}
		return path, nil
	}
	root, err := cache.Dir()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(root, "tools", "trivy-"+TrivyVersion+"-*", "trivy"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return m, nil
		}
	}
	return "", errNoTrivy
}

// Served is a database pushed to a test registry.
type Served struct {
	// Repository is the reference to give trivy --db-repository, host:port/path:tag.
	Repository string
	// Digest is the artifact's manifest digest.
	Digest v1.Hash
}

// Serve pushes the database built from s to a new in-process registry on a
// kernel-chosen loopback port, checks that registry answers with the digest
// pushed, and stops it when t ends.
func Serve(t testing.TB, s Spec) Served {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	repo := strings.TrimPrefix(srv.URL, "http://") + "/aquasecurity/trivy-db:2"
	ref, err := name.ParseReference(repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Image(s)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	digest, err := Push(ctx, ref, img)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref, remote.WithContext(ctx))
	if err != nil {
		t.Fatalf("checking the test registry %s: %v", repo, err)
	}
	if desc.Digest != digest {
		t.Fatalf("test registry %s serves %s, want the pushed %s: another server is answering", repo, desc.Digest, digest)
	}
	return Served{Repository: repo, Digest: digest}
}
