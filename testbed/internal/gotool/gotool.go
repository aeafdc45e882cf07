// Package gotool builds pinned Go programs from the module proxy in a
// throwaway module, the way that works where `go install pkg@version` does
// not (modules with replace directives, proxies that refuse version lists).
package gotool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/ferryml/ferry/testbed/internal/layout"
	"github.com/ferryml/ferry/testbed/internal/spec"
)

// Builder builds tools into the cache, once per version and recipe.
type Builder struct {
	Layout layout.Layout
	// Stubs holds the stand-in modules named by spec.Tool.Stubs, one folder
	// each with a go.mod.tmpl and Go files.
	Stubs fs.FS
	// GoVersion is the version of the go command that builds (part of the
	// cache key): `go env GOVERSION`.
	GoVersion string
	// Progress receives one line per step; nil discards.
	Progress io.Writer
}

// Dir returns the folder the tool's binaries are (or will be) in.
func (b *Builder) Dir(t spec.Tool) string {
	return b.Layout.ToolBin(t.Name, t.Version, b.hash(t))
}

func (b *Builder) hash(t spec.Tool) string {
	var stubs []string
	for _, dir := range sortedValues(t.Stubs) {
		_ = fs.WalkDir(b.Stubs, dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := fs.ReadFile(b.Stubs, p)
				stubs = append(stubs, p, string(data))
			}
			return nil
		})
	}
	return spec.Hash(t, b.GoVersion, stubs)
}

// Build builds t unless its binaries are already cached, and returns their
// folder.
func (b *Builder) Build(ctx context.Context, t spec.Tool) (string, error) {
	dir := b.Dir(t)
	if complete(dir, t) {
		return dir, nil
	}
	b.progress("building %s %s (cached afterwards in %s)", t.Name, t.Version, dir)
	src := b.Layout.ToolBuild(t.Name, t.Version)
	if err := os.RemoveAll(src); err != nil {
		return "", fmt.Errorf("building %s: clearing %s: %w", t.Name, src, err)
	}
	if err := b.writeModule(ctx, src, t); err != nil {
		return "", fmt.Errorf("building %s %s: %w", t.Name, t.Version, err)
	}
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	if err := b.compile(ctx, src, tmp, t); err != nil {
		return "", fmt.Errorf("building %s %s: %w", t.Name, t.Version, err)
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("building %s: %w", t.Name, err)
	}
	// The throwaway module is only needed to build; the caches keep the rest.
	_ = os.RemoveAll(src)
	return dir, nil
}

func complete(dir string, t spec.Tool) bool {
	for name := range t.Binaries {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// writeModule lays out the throwaway module: go.mod requiring the target at
// its exact version, the target's own non-local replace lines, stubs, and a
// tools.go importing the binaries so that `go mod tidy` keeps them.
func (b *Builder) writeModule(ctx context.Context, src string, t spec.Tool) error {
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	// Fetch the target first, outside any module, to read its go.mod and go.sum.
	b.progress("  downloading %s@%s", t.Module, t.Version)
	out, err := b.goCmd(ctx, src, t, "mod", "download", "-json", t.Module+"@"+t.Version).Output()
	if err != nil {
		if msg, jerr := jsonField(out, "Dir"); jerr != nil && msg == "" {
			return fmt.Errorf("downloading %s@%s: %w", t.Module, t.Version, jerr)
		}
		return fmt.Errorf("downloading %s@%s: %w", t.Module, t.Version, exitErr(err))
	}
	modDir, err := jsonField(out, "Dir")
	if err != nil {
		return fmt.Errorf("downloading %s@%s: %w", t.Module, t.Version, err)
	}
	mf := &modfile.File{}
	if err := mf.AddModuleStmt("ferry.local/build/" + t.Name); err != nil {
		return err
	}
	if err := mf.AddGoStmt(goLine(b.GoVersion)); err != nil {
		return err
	}
	if err := mf.AddRequire(t.Module, t.Version); err != nil {
		return err
	}
	for _, m := range sortedKeys(t.Require) {
		if err := mf.AddRequire(m, t.Require[m]); err != nil {
			return err
		}
	}
	for _, m := range sortedKeys(t.Stubs) {
		local := "./stubs/" + t.Stubs[m]
		if err := copyStub(b.Stubs, t.Stubs[m], filepath.Join(src, "stubs", t.Stubs[m])); err != nil {
			return fmt.Errorf("writing stub for %s: %w", m, err)
		}
		if err := mf.AddRequire(m, "v0.0.0"); err != nil {
			return err
		}
		if err := mf.AddReplace(m, "", local, ""); err != nil {
			return err
		}
	}
	target, err := os.ReadFile(filepath.Join(modDir, "go.mod"))
	if err != nil {
		return err
	}
	tf, err := modfile.Parse("go.mod", target, nil)
	if err != nil {
		return fmt.Errorf("parsing %s's go.mod: %w", t.Module, err)
	}
	for _, r := range tf.Replace {
		if modfile.IsDirectoryPath(r.New.Path) {
			continue // local to the target's repository: stubs stand in where needed
		}
		if err := mf.AddReplace(r.Old.Path, r.Old.Version, r.New.Path, r.New.Version); err != nil {
			return err
		}
	}
	if err := b.writeFile(src, "go.mod", mf); err != nil {
		return err
	}
	if t.SeedGoSum {
		sum, err := os.ReadFile(filepath.Join(modDir, "go.sum"))
		if err != nil {
			return fmt.Errorf("seeding go.sum: %w", err)
		}
		if err := os.WriteFile(filepath.Join(src, "go.sum"), sum, 0o644); err != nil {
			return err
		}
	}
	var tools strings.Builder
	tools.WriteString("//go:build tools\n\npackage tools\n\nimport (\n")
	for _, pkg := range sortedValues(t.Binaries) {
		fmt.Fprintf(&tools, "\t_ %q\n", pkgPath(t.Module, pkg))
	}
	tools.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(src, "tools.go"), []byte(tools.String()), 0o644); err != nil {
		return err
	}
	b.progress("  resolving dependencies")
	if out, err := b.goCmd(ctx, src, t, "mod", "tidy").CombinedOutput(); err != nil {
		return fmt.Errorf("go mod tidy: %w\n%s", err, tail(out, 20))
	}
	return nil
}

func (b *Builder) compile(ctx context.Context, src, out string, t spec.Tool) error {
	for _, name := range sortedKeys(t.Binaries) {
		pkg := pkgPath(t.Module, t.Binaries[name])
		b.progress("  compiling %s (%s)", name, pkg)
		args := []string{"build", "-trimpath", "-o", filepath.Join(out, name)}
		if t.Tags != "" {
			args = append(args, "-tags", t.Tags)
		}
		if t.LDFlags != "" {
			args = append(args, "-ldflags", strings.Join(strings.Fields(t.LDFlags), " "))
		}
		args = append(args, pkg)
		if o, err := b.goCmd(ctx, src, t, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, tail(o, 30))
		}
	}
	return nil
}

func (b *Builder) goCmd(ctx context.Context, dir string, t spec.Tool, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	env := append(os.Environ(),
		"GOMODCACHE="+b.Layout.GoModCache(),
		"GOCACHE="+b.Layout.GoBuildCache(),
		"GOFLAGS=-buildvcs=false",
		"GOWORK=off",
	)
	for _, k := range sortedKeys(t.Env) {
		env = append(env, k+"="+t.Env[k])
	}
	cmd.Env = env
	return cmd
}

func (b *Builder) writeFile(dir, name string, mf *modfile.File) error {
	mf.Cleanup()
	data, err := mf.Format()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

func (b *Builder) progress(format string, args ...any) {
	if b.Progress != nil {
		fmt.Fprintf(b.Progress, format+"\n", args...)
	}
}

// goLine turns 1.26.8 into the go directive 1.26.8 (and go1.27rc1-style
// versions into their release line).
func goLine(v string) string {
	if i := strings.IndexAny(v, "rcbeta-"); i > 0 {
		return v[:i]
	}
	return v
}

func pkgPath(module, rel string) string {
	rel = strings.TrimPrefix(strings.TrimPrefix(rel, "."), "/")
	if rel == "" {
		return module
	}
	return module + "/" + rel
}

func copyStub(stubs fs.FS, dir, dst string) error {
	if stubs == nil {
		return errors.New("no stubs folder given")
	}
	return fs.WalkDir(stubs, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		target := filepath.Join(dst, strings.TrimSuffix(rel, ".tmpl"))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(stubs, p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedValues(m map[string]string) []string {
	var vals []string
	for _, k := range sortedKeys(m) {
		vals = append(vals, m[k])
	}
	sort.Strings(vals)
	return vals
}
