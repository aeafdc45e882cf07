package manifest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// DefaultImageName is the placeholder image the base Deployment names and
// every overlay pins by digest.
const DefaultImageName = "ferry.local/diamonds"

type options struct {
	imageName string
	logger    *slog.Logger
}

// Option changes how Render works.
type Option func(*options)

// WithImageName sets the placeholder image that Render replaces (default
// DefaultImageName, "ferry.local/diamonds").
func WithImageName(name string) Option { return func(o *options) { o.imageName = name } }

// WithLogger sets where Render reports what it renders (default: nowhere).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

func makeOptions(opts []Option) options {
	o := options{imageName: DefaultImageName, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Envs lists the environments of a manifests folder: the folders under
// root/overlays that hold a kustomization file, sorted.
func Envs(root string) ([]string, error) {
	dir := filepath.Join(root, "overlays")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing environments: %w", err)
	}
	var envs []string
	for _, e := range entries {
		if e.IsDir() && kustomizationFile(filepath.Join(dir, e.Name())) != "" {
			envs = append(envs, e.Name())
		}
	}
	slices.Sort(envs)
	return envs, nil
}

// Render builds root/overlays/<env> with kustomize and returns the objects
// as one multi-document YAML stream, with the placeholder image replaced by
// image (name[:tag]@sha256:…). It refuses an image without a well-formed
// digest and an environment that has no overlay. Nothing under root is
// written: the overlay's image is set on an in-memory copy of the folder.
func Render(ctx context.Context, root, env, image string, opts ...Option) ([]byte, error) {
	o := makeOptions(opts)
	img, err := ParseImage(image)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", env, err)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: resolving %q: %w", env, root, err)
	}
	envs, err := Envs(abs)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w (is %s a manifests folder with base/ and overlays/?)", env, err, abs)
	}
	if !validEnv.MatchString(env) {
		return nil, fmt.Errorf("rendering: environment %q: want a folder name under %s (lowercase letters, digits and '-'), one of %s",
			env, filepath.Join(abs, "overlays"), strings.Join(envs, ", "))
	}
	if !slices.Contains(envs, env) {
		return nil, fmt.Errorf("rendering: unknown environment %q: %s has overlays for %s; pass one of those, or add overlays/%s/kustomization.yaml",
			env, filepath.Join(abs, "overlays"), strings.Join(envs, ", "), env)
	}
	mem, err := copyToMemory(ctx, abs)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", env, err)
	}
	overlay := filepath.Join(abs, "overlays", env)
	kfile := kustomizationFile(overlay)
	if err := checkKustomizations(mem, overlay, map[string]bool{}); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", env, err)
	}
	if err := setImage(mem, kfile, o.imageName, img); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", env, err)
	}
	kopts := krusty.MakeDefaultOptions()       // files only from inside each kustomization's folder; no plugins
	kopts.Reorder = krusty.ReorderOptionLegacy // namespaces and service accounts first: the order to apply in
	resMap, err := krusty.MakeKustomizer(kopts).Run(mem, overlay)
	if err != nil {
		return nil, fmt.Errorf("rendering %s (%s): %w", env, kfile, err)
	}
	out, err := resMap.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("rendering %s: writing YAML: %w", env, err)
	}
	if !strings.Contains(string(out), img.String()) {
		return nil, fmt.Errorf("rendering %s: no container uses the placeholder image %q, so %s was not set; "+
			"name it in the base Deployment or pass the placeholder the manifests use", env, o.imageName, img)
	}
	o.logger.Info("rendered overlay", "env", env, "image", img.String(), "objects", resMap.Size())
	return out, nil
}

// validEnv is an environment name: one folder, as a namespace suffix allows.
var validEnv = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// kustomizationFile returns the kustomization file in dir, or "".
func kustomizationFile(dir string) string {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// maxTreeBytes bounds the in-memory copy: a manifests folder is a few
// kilobytes, so a larger tree means root points somewhere else.
const maxTreeBytes = 32 << 20

// copyToMemory copies the regular files under root into an in-memory file
// system at the same absolute paths, so kustomize's errors name the real
// files. Symbolic links are followed; other special files are skipped.
func copyToMemory(ctx context.Context, root string) (filesys.FileSystem, error) {
	mem := filesys.MakeFsInMemory()
	var total int64
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return mem.MkdirAll(path)
		}
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		if total += fi.Size(); total > maxTreeBytes {
			return fmt.Errorf("%s holds more than %d MiB: is it the manifests folder?", root, maxTreeBytes>>20)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return mem.WriteFile(path, b)
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", root, err)
	}
	return mem, nil
}
