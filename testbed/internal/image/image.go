// Package image assembles OCI images from root file system tars and folders,
// keeps them as OCI layouts in the cache, and pushes them to registries.
package image

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/ferryml/ferry/testbed/internal/spec"
)

// RecipeLabel carries the hash of the recipe an image was built from, so a
// pushed image can be recognised as current without rebuilding it.
const RecipeLabel = "dev.ferry.testbed.recipe"

// LayerFromTar makes a gzip layer of an uncompressed tar file.
func LayerFromTar(path string) (v1.Layer, error) {
	l, err := tarball.LayerFromFile(path, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", path, err)
	}
	return l, nil
}

// Assemble stacks layers on base (nil: an empty image) and applies cfg.
func Assemble(base v1.Image, layers []v1.Layer, cfg spec.Config, recipe string) (v1.Image, error) {
	if base == nil {
		base = empty.Image
	}
	img, err := mutate.AppendLayers(base, layers...)
	if err != nil {
		return nil, fmt.Errorf("adding layers: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	c := &cf.Config
	if len(cfg.Env) > 0 {
		c.Env = mergeEnv(c.Env, cfg.Env)
	}
	if cfg.Entrypoint != nil {
		c.Entrypoint = cfg.Entrypoint
	}
	if cfg.Cmd != nil {
		c.Cmd = cfg.Cmd
	}
	if cfg.WorkingDir != "" {
		c.WorkingDir = cfg.WorkingDir
	}
	if cfg.User != "" {
		c.User = cfg.User
	}
	for _, p := range cfg.ExposedPorts {
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		c.ExposedPorts[p] = struct{}{}
	}
	for _, v := range cfg.Volumes {
		if c.Volumes == nil {
			c.Volumes = map[string]struct{}{}
		}
		c.Volumes[v] = struct{}{}
	}
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	c.Labels[RecipeLabel] = recipe
	return mutate.ConfigFile(img, cf)
}

// mergeEnv sets each NAME=value of add in env, replacing earlier values.
func mergeEnv(env, add []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range add {
		name, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if n, _, _ := strings.Cut(old, "="); n == name {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// Save writes img as the only image of an OCI layout at dir (atomically).
func Save(dir string, img v1.Image) error {
	tmp := dir + ".partial"
	_ = os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fmt.Errorf("writing image layout: %w", err)
	}
	if err := p.AppendImage(img); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("writing image layout: %w", err)
	}
	_ = os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// Load reads the image an OCI layout written by Save holds; ok is false
// when there is none.
func Load(dir string) (img v1.Image, ok bool, err error) {
	p, err := layout.FromPath(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, nil // a broken cache entry is rebuilt
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, false, nil
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		return nil, false, nil
	}
	img, err = idx.Image(m.Manifests[0].Digest)
	if err != nil {
		return nil, false, err
	}
	return img, true, nil
}

// Push writes img to repo (host/path) under every tag and returns its digest.
func Push(ctx context.Context, img v1.Image, repo string, tags []string) (v1.Hash, error) {
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	r, err := name.NewRepository(repo, name.Insecure)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", repo, err)
	}
	sorted := append([]string(nil), tags...)
	sort.Strings(sorted)
	for i, tag := range sorted {
		if i == 0 {
			if err := remote.Write(r.Tag(tag), img, remote.WithContext(ctx)); err != nil {
				return v1.Hash{}, fmt.Errorf("pushing %s:%s: %w", repo, tag, err)
			}
			continue
		}
		if err := remote.Tag(r.Tag(tag), img, remote.WithContext(ctx)); err != nil {
			return v1.Hash{}, fmt.Errorf("tagging %s:%s: %w", repo, tag, err)
		}
	}
	return d, nil
}

// Current reports whether repo:tag already holds an image of recipe.
func Current(ctx context.Context, repo, tag, recipe string) (v1.Hash, bool) {
	ref, err := name.NewTag(repo+":"+tag, name.Insecure)
	if err != nil {
		return v1.Hash{}, false
	}
	img, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		return v1.Hash{}, false
	}
	cf, err := img.ConfigFile()
	if err != nil || cf.Config.Labels[RecipeLabel] != recipe {
		return v1.Hash{}, false
	}
	d, err := img.Digest()
	return d, err == nil
}
