package image

import (
	"archive/tar"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/ferryml/ferry/testbed/internal/spec"
)

// rootTar writes a folder with a file and a symlink and tars it.
func rootTar(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "usr/bin/tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("tool", filepath.Join(dir, "usr/bin/alias")); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "root.tar")
	if err := TarDir(dir, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTarDirKeepsModesAndLinks(t *testing.T) {
	f, err := os.Open(rootTar(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]string{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
			t.Errorf("%s: uid/gid/mtime = %d/%d/%v, want root and epoch", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		got[h.Name] = h.FileInfo().Mode().String() + " " + h.Linkname
	}
	want := map[string]string{
		"usr/":          "drwxr-xr-x ",
		"usr/bin/":      "drwxr-xr-x ",
		"usr/bin/alias": "Lrwxrwxrwx tool",
		"usr/bin/tool":  "-rwxr-xr-x ",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("entry %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestAssembleSaveLoadPush(t *testing.T) {
	layer, err := LayerFromTar(rootTar(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg := spec.Config{Env: []string{"PATH=/usr/bin", "A=1"}, Cmd: []string{"tool"}, ExposedPorts: []string{"5000/tcp"}}
	img, err := Assemble(nil, nil, cfg, "r1")
	if err != nil {
		t.Fatal(err)
	}
	img, err = mutate.AppendLayers(img, layer)
	if err != nil {
		t.Fatal(err)
	}
	// A derived image keeps the base's settings and overrides by name.
	derived, err := Assemble(img, nil, spec.Config{Env: []string{"A=2"}}, "r2")
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := derived.ConfigFile()
	if got := strings.Join(cf.Config.Env, ","); got != "PATH=/usr/bin,A=2" {
		t.Errorf("derived env = %s, want PATH=/usr/bin,A=2", got)
	}
	if cf.Config.Labels[RecipeLabel] != "r2" || cf.Config.Cmd[0] != "tool" {
		t.Errorf("derived config = %+v", cf.Config)
	}

	dir := filepath.Join(t.TempDir(), "layout")
	if _, ok, _ := Load(dir); ok {
		t.Fatal("Load(missing) ok")
	}
	if err := Save(dir, derived); err != nil {
		t.Fatal(err)
	}
	loaded, ok, err := Load(dir)
	if err != nil || !ok {
		t.Fatalf("Load = %v, %v", ok, err)
	}
	d1, _ := derived.Digest()
	d2, _ := loaded.Digest()
	if d1 != d2 {
		t.Errorf("loaded digest %s != saved %s", d2, d1)
	}

	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	repo := strings.TrimPrefix(reg.URL, "http://") + "/library/tool"
	ctx := context.Background()
	if _, ok := Current(ctx, repo, "1", "r2"); ok {
		t.Error("Current before push = true")
	}
	got, err := Push(ctx, loaded, repo, []string{"1", "latest"})
	if err != nil || got != d1 {
		t.Fatalf("Push = %s, %v; want %s", got, err, d1)
	}
	for _, tag := range []string{"1", "latest"} {
		if d, ok := Current(ctx, repo, tag, "r2"); !ok || d != d1 {
			t.Errorf("Current(%s, r2) = %s, %v; want %s", tag, d, ok, d1)
		}
	}
	if _, ok := Current(ctx, repo, "1", "other-recipe"); ok {
		t.Error("Current(other recipe) = true, want false: a changed recipe must be pushed again")
	}
}
