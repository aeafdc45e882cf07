// Package rootfs makes root file systems from Debian packages with
// mmdebstrap, cached by a hash of their recipe.
package rootfs

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/testbed/internal/layout"
	"github.com/ferryml/ferry/testbed/internal/spec"
)

// Builder runs mmdebstrap.
type Builder struct {
	Layout layout.Layout
	Debian spec.Debian
	// Env is added to the environment hooks run in (FERRY_GOROOT, …).
	Env []string
	// Progress receives one line per step; nil discards.
	Progress io.Writer
}

// Args returns the mmdebstrap command line that makes img into out.
func (b *Builder) Args(img spec.Image, out string) []string {
	args := []string{
		"--variant=minbase",
		"--mode=root",
		"--format=tar",
		"--skip=output/dev",
		"--aptopt=APT::Install-Recommends \"false\"",
		"--include=" + strings.Join(img.Packages, ","),
	}
	for _, ex := range b.Debian.Exclude {
		args = append(args, "--dpkgopt=path-exclude="+ex)
	}
	for _, h := range img.Hooks {
		args = append(args, "--customize-hook="+h)
	}
	return append(args, b.Debian.Suite, out, b.Debian.Mirror)
}

// Tar returns the path of a tar of img's root, building it unless cached.
// key adds inputs the recipe refers to but does not contain (tool builds).
func (b *Builder) Tar(ctx context.Context, img spec.Image, key ...any) (string, error) {
	hash := spec.Hash(append([]any{"rootfs/v1", b.Debian, img.Packages, img.Hooks}, key...)...)
	out := b.Layout.RootfsTar(hash)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", fmt.Errorf("building the root of %s: mmdebstrap is not installed (apt-get install mmdebstrap)", img.Name)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	b.progress("building the root of %s from Debian packages (%s)", img.Name, strings.Join(img.Packages, " "))
	tmp := out + ".partial"
	_ = os.Remove(tmp)
	cmd := exec.CommandContext(ctx, "mmdebstrap", b.Args(img, tmp)...)
	cmd.Env = append(os.Environ(), b.Env...)
	logPath := out + ".log"
	logf, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("building the root of %s with mmdebstrap: %w (log: %s)\n%s", img.Name, err, logPath, lastLines(logPath, 15))
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}

// Hooks runs img's hooks against an empty folder and returns that folder:
// the layer an image built `from` another adds on top of it.
func (b *Builder) Hooks(ctx context.Context, img spec.Image) (string, error) {
	dir, err := os.MkdirTemp(filepath.Join(b.Layout.Cache, "rootfs"), "hooks-")
	if err != nil {
		return "", err
	}
	for _, h := range img.Hooks {
		cmd := exec.CommandContext(ctx, "sh", "-ec", h, "exec", dir)
		cmd.Env = append(os.Environ(), b.Env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("running hook %q of %s: %w\n%s", h, img.Name, err, out)
		}
	}
	return dir, nil
}

func (b *Builder) progress(format string, args ...any) {
	if b.Progress != nil {
		fmt.Fprintf(b.Progress, format+"\n", args...)
	}
}

func lastLines(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
