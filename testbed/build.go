package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	ocilayout "github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/ferryml/ferry/testbed/internal/gotool"
	"github.com/ferryml/ferry/testbed/internal/image"
	"github.com/ferryml/ferry/testbed/internal/rootfs"
	"github.com/ferryml/ferry/testbed/internal/spec"
)

// built is what build produced (or found cached).
type built struct {
	tools       map[string]string // tool name → folder of its binaries
	images      []builtImage      // images the mirrors serve
	engineRoot  string            // unpacked root of the engine
	engineKey   string            // changes whenever the engine must restart
	goSDKDigest string            // manifest digest in the engine's content store
}

type builtImage struct {
	spec   spec.Image
	recipe string
	image  v1.Image
}

// build builds every tool and image that is not cached yet. With progress
// lines on stderr; nothing is pushed or started.
func (tb *testbed) build(ctx context.Context, _ *state) (*built, error) {
	start := time.Now()
	b := &built{tools: map[string]string{}}
	if tb.spec.Engine.Rootfs.Name == "" {
		return nil, fmt.Errorf("testbed.yaml: the engine section is required")
	}
	if err := tb.layout.Claim(); err != nil {
		return nil, err
	}
	assets, err := tb.writeAssets()
	if err != nil {
		return nil, fmt.Errorf("writing test bed assets: %w", err)
	}
	gb := &gotool.Builder{Layout: tb.layout, Stubs: sub("stubs"), GoVersion: tb.goVer, Progress: os.Stderr}
	env := []string{"FERRY_GOROOT=" + tb.goroot, "FERRY_TESTBED=" + assets}
	toolHash := map[string]string{}
	for _, t := range tb.spec.Tools {
		dir, err := gb.Build(ctx, t)
		if err != nil {
			return nil, err
		}
		b.tools[t.Name] = dir
		toolHash[t.Name] = filepath.Base(dir)
		env = append(env, "FERRY_TOOL_"+strings.ToUpper(strings.ReplaceAll(t.Name, "-", "_"))+"="+dir)
	}
	rb := &rootfs.Builder{Layout: tb.layout, Debian: tb.spec.Debian, Env: env, Progress: os.Stderr}
	repo, repoErr := repoRoot()
	if repoErr == nil {
		rb.Env = append(rb.Env, "FERRY_REPO="+repo)
	}
	var keyErr error
	key := func(img spec.Image) []any {
		k := []any{tb.goVer, filepath.Base(assets)}
		for _, u := range img.Uses {
			k = append(k, toolHash[u])
		}
		for _, in := range img.Inputs {
			if repoErr != nil {
				keyErr = fmt.Errorf("image %s reads %s from the repository: %w", img.Name, in, repoErr)
				continue
			}
			data, err := os.ReadFile(filepath.Join(repo, in))
			if err != nil {
				keyErr = fmt.Errorf("image %s: reading input %s: %w", img.Name, in, err)
				continue
			}
			k = append(k, in, spec.Hash(string(data)))
		}
		return k
	}
	done := map[string]builtImage{}
	var mk func(img spec.Image) (builtImage, error)
	mk = func(img spec.Image) (builtImage, error) {
		if bi, ok := done[img.Name]; ok {
			return bi, nil
		}
		var base *builtImage
		if img.From != "" {
			from, err := tb.spec.Image(img.From)
			if err != nil {
				return builtImage{}, err
			}
			bb, err := mk(*from)
			if err != nil {
				return builtImage{}, err
			}
			base = &bb
		}
		k := key(img)
		if keyErr != nil {
			return builtImage{}, keyErr
		}
		bi, err := tb.buildImage(ctx, rb, img, base, k)
		if err == nil {
			done[img.Name] = bi
		}
		return bi, err
	}
	for _, img := range tb.spec.Images {
		bi, err := mk(img)
		if err != nil {
			return nil, err
		}
		b.images = append(b.images, bi)
	}
	sdk, err := mk(tb.spec.Engine.GoSDK)
	if err != nil {
		return nil, err
	}
	if b.goSDKDigest, err = tb.storeContent(sdk.image); err != nil {
		return nil, fmt.Errorf("storing the Go SDK image in the engine's content store: %w", err)
	}
	er := tb.spec.Engine.Rootfs
	tar, err := rb.Tar(ctx, er, key(er)...)
	if err != nil {
		return nil, err
	}
	if b.engineRoot, err = tb.unpackEngine(ctx, tar); err != nil {
		return nil, err
	}
	b.engineKey = spec.Hash(filepath.Base(b.engineRoot), b.goSDKDigest)
	fmt.Fprintf(os.Stderr, "build: done in %s\n", time.Since(start).Round(time.Millisecond))
	return b, nil
}

// buildImage assembles img (on base, if it is built from another image),
// caching it as an OCI layout.
func (tb *testbed) buildImage(ctx context.Context, rb *rootfs.Builder, img spec.Image, base *builtImage, key []any) (builtImage, error) {
	var recipe string
	if base != nil {
		recipe = spec.Hash("image/v1", img, base.recipe, key)
	} else {
		recipe = spec.Hash("image/v1", img, tb.spec.Debian, key)
	}
	dir := tb.layout.ImageLayout(recipe)
	if cached, ok, err := image.Load(dir); err != nil {
		return builtImage{}, err
	} else if ok {
		return builtImage{spec: img, recipe: recipe, image: cached}, nil
	}
	var layerTar string
	var baseImg v1.Image
	if base == nil {
		t, err := rb.Tar(ctx, img, key...)
		if err != nil {
			return builtImage{}, err
		}
		layerTar = t
	} else {
		fmt.Fprintf(os.Stderr, "building %s on %s\n", img.Name, base.spec.Name)
		hooks, err := rb.Hooks(ctx, img)
		if err != nil {
			return builtImage{}, err
		}
		defer os.RemoveAll(hooks)
		layerTar = hooks + ".tar"
		if err := image.TarDir(hooks, layerTar); err != nil {
			return builtImage{}, err
		}
		defer os.Remove(layerTar)
		baseImg = base.image
	}
	layer, err := image.LayerFromTar(layerTar)
	if err != nil {
		return builtImage{}, err
	}
	assembled, err := image.Assemble(baseImg, []v1.Layer{layer}, img.Config, recipe)
	if err != nil {
		return builtImage{}, fmt.Errorf("assembling %s: %w", img.Name, err)
	}
	fmt.Fprintf(os.Stderr, "compressing %s\n", img.Name)
	if err := image.Save(dir, assembled); err != nil {
		return builtImage{}, fmt.Errorf("saving %s: %w", img.Name, err)
	}
	saved, ok, err := image.Load(dir)
	if err != nil || !ok {
		return builtImage{}, fmt.Errorf("reading back %s from %s: %v", img.Name, dir, err)
	}
	return builtImage{spec: img, recipe: recipe, image: saved}, nil
}

// repoRoot finds the ferry checkout the test bed runs from: the nearest
// folder up from the working directory with testbed/testbed.yaml in it.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "testbed", "testbed.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run the test bed from the ferry checkout (no testbed/testbed.yaml above the working directory)")
		}
		dir = parent
	}
}

// writeAssets writes the embedded files folder to the cache, in a folder
// named by its content, and returns that folder.
func (tb *testbed) writeAssets() (string, error) {
	var parts []any
	err := fs.WalkDir(assets, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(assets, p)
		parts = append(parts, p, string(data))
		return err
	})
	if err != nil {
		return "", err
	}
	dir := filepath.Join(tb.layout.Cache, "assets", spec.Hash(parts...))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	tmp := dir + ".partial"
	_ = os.RemoveAll(tmp)
	for i := 0; i < len(parts); i += 2 {
		p := filepath.Join(tmp, parts[i].(string))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(parts[i+1].(string)), 0o644); err != nil {
			return "", err
		}
	}
	return dir, os.Rename(tmp, dir)
}

// storeContent puts img into the engine's built-in content store (an OCI
// layout: blobs/sha256/… is what the engine reads) and returns its digest.
func (tb *testbed) storeContent(img v1.Image) (string, error) {
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	dir := tb.layout.EngineContent()
	p, err := ocilayout.FromPath(dir)
	if err != nil {
		if p, err = ocilayout.Write(dir, empty.Index); err != nil {
			return "", err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "blobs", d.Algorithm, d.Hex)); err == nil {
		return d.String(), nil
	}
	return d.String(), p.AppendImage(img)
}

// unpackEngine unpacks the engine's root tar once into a read-only folder.
func (tb *testbed) unpackEngine(ctx context.Context, tar string) (string, error) {
	dir := tb.layout.EngineRoot(strings.TrimSuffix(filepath.Base(tar), ".tar"))
	if _, err := os.Stat(filepath.Join(dir, "usr/local/bin/dagger-engine")); err == nil {
		return dir, nil
	}
	tmp := dir + ".partial"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, "tar", "--numeric-owner", "-xpf", tar, "-C", tmp).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("unpacking the engine's root: %w: %s", err, out)
	}
	_ = os.RemoveAll(dir)
	return dir, os.Rename(tmp, dir)
}
