package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferryml/ferry/pipelines/retention"
)

// pruneTestRegistry is an in-process registry; with a password it wants basic auth.
func pruneTestRegistry(t *testing.T, password string) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if password != "" {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// prunePushVersions pushes one image per tag, tag i built on day i, and returns digests by tag.
func prunePushVersions(t *testing.T, repo string, opts []remote.Option, tags ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, tag := range tags {
		img, err := random.Image(128, 1)
		if err == nil {
			img, err = mutate.CreatedAt(img, v1.Time{Time: time.Date(2026, 3, 1+i, 0, 0, 0, 0, time.UTC)})
		}
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.NewTag(repo + ":" + tag)
		if err := remote.Write(ref, img, opts...); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		out[tag] = d.String()
	}
	return out
}

func pruneTagExists(t *testing.T, repo, tag string, opts ...remote.Option) bool {
	t.Helper()
	ref, _ := name.NewTag(repo + ":" + tag)
	_, err := remote.Head(ref, opts...)
	return err == nil
}

type pruneRetentionFile struct {
	Plan   retention.Plan   `json:"plan"`
	Report retention.Report `json:"report"`
}

func readRetention(t *testing.T, dir string) pruneRetentionFile {
	t.Helper()
	var f pruneRetentionFile
	b, err := os.ReadFile(filepath.Join(dir, "retention.json"))
	if err == nil {
		err = json.Unmarshal(b, &f)
	}
	if err != nil {
		t.Fatalf("reading retention.json: %v", err)
	}
	return f
}

func TestRegistryPrune(t *testing.T) {
	repo := pruneTestRegistry(t, "") + "/ferry/diamonds"
	digests := prunePushVersions(t, repo, nil, "v1", "v2", "v3", "v4")
	ctx := context.Background()

	out := t.TempDir()
	var stdout bytes.Buffer
	args := []string{"--repository", repo, "--keep", "1", "--protect", "v1", "--out", out}
	if err := registryPrune(ctx, append(args, "--dry-run"), &stdout); err != nil {
		t.Fatalf("registry prune --dry-run: %v", err)
	}
	if got := stdout.String(); !strings.HasPrefix(got, "dry run: ") || !strings.Contains(got, "would delete 2 versions") || strings.Count(got, "\n") != 1 {
		t.Errorf("dry-run summary = %q", got)
	}
	for _, tag := range []string{"v1", "v2", "v3", "v4"} {
		if !pruneTagExists(t, repo, tag) {
			t.Errorf("dry run deleted %s", tag)
		}
	}

	stdout.Reset()
	if err := registryPrune(ctx, args, &stdout); err != nil {
		t.Fatalf("registry prune: %v", err)
	}
	if got := stdout.String(); !strings.Contains(got, "deleted 2 versions (2 tags), kept 2") || strings.Count(got, "\n") != 1 {
		t.Errorf("summary = %q", got)
	}
	for tag, want := range map[string]bool{"v1": true, "v2": false, "v3": false, "v4": true} {
		if got := pruneTagExists(t, repo, tag); got != want {
			t.Errorf("after prune, %s exists = %v, want %v", tag, got, want)
		}
	}
	f := readRetention(t, out)
	if !f.Report.Verified || len(f.Report.Deleted) != 2 || len(f.Plan.Versions) != 4 || f.Plan.Protected[0].Digest != digests["v1"] {
		t.Errorf("retention.json = %+v", f)
	}
}

func TestRegistryPruneUsesEnvCredentials(t *testing.T) {
	const password = "registry-pw-Zq9"
	host := pruneTestRegistry(t, password)
	repo := host + "/ferry/diamonds"
	auth := []remote.Option{remote.WithAuth(&authn.Basic{Username: "ci", Password: password})}
	prunePushVersions(t, repo, auth, "v1", "v2")
	ctx := context.Background()
	args := []string{"--repository", repo, "--keep", "1", "--out", t.TempDir()}

	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials from the developer's Docker config
	t.Setenv("FERRY_REGISTRY_USERNAME", "")
	if err := registryPrune(ctx, args, io.Discard); err == nil {
		t.Fatalf("registry prune without credentials succeeded against a registry that wants them")
	}
	t.Setenv("FERRY_REGISTRY_USERNAME", "ci")
	t.Setenv("FERRY_REGISTRY_PASSWORD", password)
	var stdout bytes.Buffer
	out := t.TempDir()
	args[len(args)-1] = out
	if err := registryPrune(ctx, args, &stdout); err != nil {
		t.Fatalf("registry prune with FERRY_REGISTRY_* credentials: %v", err)
	}
	if pruneTagExists(t, repo, "v1", auth...) || !pruneTagExists(t, repo, "v2", auth...) {
		t.Errorf("prune with credentials did not delete v1 and keep v2")
	}
	b, _ := os.ReadFile(filepath.Join(out, "retention.json"))
	if strings.Contains(stdout.String()+string(b), password) {
		t.Errorf("the password reached stdout or retention.json")
	}
}

func TestRegistryPruneBadInput(t *testing.T) {
	repo := pruneTestRegistry(t, "") + "/ferry/diamonds"
	prunePushVersions(t, repo, nil, "v1", "v2")
	out := t.TempDir()
	tests := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no repository", []string{"--keep", "1", "--out", out}, true, "--repository is required"},
		{"no out", []string{"--repository", repo, "--keep", "1"}, true, "--out is required"},
		{"keep zero", []string{"--repository", repo, "--keep", "0", "--out", out}, true, "keep at least 1"},
		{"keep not a number", []string{"--repository", repo, "--keep", "two", "--out", out}, true, "invalid value"},
		{"protected tag absent", []string{"--repository", repo, "--keep", "1", "--protect", "v9", "--out", out}, false, `protected tag "v9"`},
		{"malformed repository", []string{"--repository", "UPPER CASE", "--keep", "1", "--out", out}, false, "parsing repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := registryPrune(context.Background(), tt.args, io.Discard)
			if err == nil || errors.Is(err, errUsage) != tt.usage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("registry prune %v error = %v; want usage=%v containing %q", tt.args, err, tt.usage, tt.want)
			}
		})
	}
	for _, tag := range []string{"v1", "v2"} {
		if !pruneTagExists(t, repo, tag) {
			t.Errorf("bad input deleted %s", tag)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "retention.json")); err == nil {
		t.Errorf("bad input wrote retention.json")
	}
}
