package manifest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderRefusesBadInput(t *testing.T) {
	digest := "sha256:" + strings.Repeat("a", 64)
	tests := []struct {
		name, env, image string
		want             []string // substrings of the error
	}{
		{"unknown env", "qa", "r.example/d@" + digest, []string{`unknown environment "qa"`, "dev, production, staging"}},
		{"env with a path", "../base", "r.example/d@" + digest, []string{`environment "../base": want a folder name`, "dev, production, staging"}},
		{"tag without digest", "dev", "r.example/d:1.0", []string{"has no digest", "name@sha256:"}},
		{"bare name", "dev", "diamonds", []string{"has no digest"}},
		{"short digest", "dev", "r.example/d@sha256:abc", []string{"want 64 hex characters", "got 3"}},
		{"upper-case digest", "dev", "r.example/d@sha256:" + strings.Repeat("A", 64), []string{"only lowercase hex characters"}},
		{"unknown algorithm", "dev", "r.example/d@md5:" + strings.Repeat("a", 32), []string{`unknown algorithm "md5"`}},
		{"no algorithm", "dev", "r.example/d@" + strings.Repeat("a", 64), []string{"unknown algorithm"}},
		{"bad repository", "dev", "R.example/D I@" + digest, []string{"repository"}},
		{"empty", "dev", "", []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(context.Background(), manifestsDir, tt.env, tt.image)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Render(%q, %q) = %v, want an error containing %q", tt.env, tt.image, err, w)
				}
			}
			t.Log(err)
		})
	}
}

func TestParseImage(t *testing.T) {
	d := "sha256:" + strings.Repeat("0", 64)
	tests := []struct{ in, name, tag string }{
		{"r.example/ferry/diamonds@" + d, "r.example/ferry/diamonds", ""},
		{"r.example:5000/ferry/diamonds:v1@" + d, "r.example:5000/ferry/diamonds", "v1"},
		{"127.0.0.1:5000/diamonds@" + d, "127.0.0.1:5000/diamonds", ""},
		{"diamonds@sha512:" + strings.Repeat("f", 128), "diamonds", ""},
	}
	for _, tt := range tests {
		img, err := ParseImage(tt.in)
		if err != nil || img.Name != tt.name || img.Tag != tt.tag || img.String() != tt.in {
			t.Errorf("ParseImage(%q) = %+v, %v; want name %q tag %q", tt.in, img, err, tt.name, tt.tag)
		}
	}
}

// A broken kustomization or resource fails the render with an error that
// names the file.
func TestRenderNamesTheBrokenFile(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                string // file named in the error
	}{
		{"overlay not YAML", "overlays/dev/kustomization.yaml", "resources: [../../base\n", "overlays/dev/kustomization.yaml"},
		{"overlay unknown field", "overlays/dev/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresourcez: [../../base]\n", "overlays/dev/kustomization.yaml"},
		{"missing resource", "overlays/dev/kustomization.yaml", "resources: [../../base, nope.yaml]\n", "nope.yaml"},
		{"base resource not YAML", "base/service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: [\n", "service.yaml"},
		{"base kustomization not YAML", "base/kustomization.yaml", "resources:\n - a\n b: c\n", "base/kustomization.yaml"},
		{"base kustomization unknown field", "base/kustomization.yaml", "resourcez: [deployment.yaml]\n", "base/kustomization.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyManifests(t)
			if err := os.WriteFile(filepath.Join(root, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Render(context.Background(), root, "dev", fakeImage)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render(dev) with a broken %s = %v, want an error naming %q", tt.file, err, tt.want)
			}
			t.Log(err)
		})
	}
}

// An overlay whose Deployment does not use the placeholder would deploy
// something other than the image asked for: Render refuses it.
func TestRenderRefusesAnOverlayWithoutThePlaceholder(t *testing.T) {
	_, err := Render(context.Background(), manifestsDir, "dev", fakeImage, WithImageName("ferry.local/other"))
	if err == nil || !strings.Contains(err.Error(), `placeholder image "ferry.local/other"`) {
		t.Errorf("Render(dev, WithImageName(other)) = %v, want an error about the placeholder", err)
	}
}

// Render only reads the checkout: every file is byte-identical afterwards.
func TestRenderLeavesTheCheckoutAlone(t *testing.T) {
	before := treeSum(t, manifestsDir)
	for _, env := range envs {
		if _, err := Render(context.Background(), manifestsDir, env, fakeImage); err != nil {
			t.Fatal(err)
		}
	}
	if after := treeSum(t, manifestsDir); after != before {
		t.Errorf("the manifests folder changed while rendering:\nbefore %s\nafter  %s", before, after)
	}
}

func TestRenderHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Render(ctx, manifestsDir, "dev", fakeImage); err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
		t.Errorf("Render(cancelled) = %v, want %v", err, context.Canceled)
	}
}

func treeSum(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		fmt.Fprintf(h, "%s %d %x\n", p, len(b), sha256.Sum256(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// copyManifests copies the repository's manifests folder to a temporary one.
func copyManifests(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(manifestsDir)); err != nil {
		t.Fatal(err)
	}
	return dst
}
