package s3test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ferryml/ferry/pipelines/cache"
)

// Version is the versitygw release the harness builds and runs.
const Version = "v1.8.0"

const module = "github.com/versity/versitygw/cmd/versitygw"

// CacheDir is where built tools are kept (see package cache).
func CacheDir() (string, error) { return cache.Dir() }

// Binary returns the path of the versitygw binary, building it with `go install` into
// CacheDir()/tools/versitygw-<Version>/ the first time (about 3 CPU-minutes). A lock
// file keeps parallel test processes from building it twice.
func Binary(t testing.TB) string {
	t.Helper()
	path, err := ensureBinary()
	if err != nil {
		t.Fatalf("building versitygw %s: %v", Version, err)
	}
	return path
}

func ensureBinary() (string, error) {
	root, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "tools", "versitygw-"+Version)
	bin := filepath.Join(dir, "versitygw")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking %s: %w", dir, err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another process built it while we waited
	}
	gobin, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(gobin)
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("finding the go command: %w", err)
	}
	cmd := exec.Command(goTool, "install", "-trimpath", module+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", module, Version, err, out)
	}
	// Rename is atomic: the binary is either complete at its final path or absent.
	if err := os.Rename(filepath.Join(gobin, "versitygw"), bin); err != nil {
		return "", err
	}
	return bin, nil
}
