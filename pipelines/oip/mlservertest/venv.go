package mlservertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/ferryml/ferry/pipelines/pyvenv"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/cache"
)

// MLServerVersion is the MLServer release that models/requirements/serve.lock pins.
const MLServerVersion = "1.7.1"

// errNoPython marks a machine without a usable python3 (pyvenv.ErrNoPython).
var errNoPython = pyvenv.ErrNoPython

// fail stops t (pyvenv.Fail).
func fail(t testing.TB, err error) {
	t.Helper()
	pyvenv.Fail(t, err)
}

// RepoRoot returns the checkout holding this module: the nearest folder above the working
// directory (a test's package folder) whose go.mod declares github.com/ferryml/ferry.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module github.com/ferryml/ferry\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding the repository root: no go.mod of github.com/ferryml/ferry above the working directory; run the tests from inside the checkout")
		}
		dir = parent
	}
}

// lockFile reads models/requirements/<name> from the checkout.
func lockFile(name string) ([]byte, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, "models", "requirements", name))
	if err != nil {
		return nil, fmt.Errorf("reading the requirements lock: %w", err)
	}
	return b, nil
}

// shortHash is the first 12 hex digits of the sha256 of the parts, each length-prefixed.
func shortHash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// ensureVenv returns <cache>/venv/<prefix>-<hash of lock>, a symlink to a complete venv
// with lock installed. The venv is built under a file lock in a directory of its own,
// then the symlink is renamed into place: other processes see no venv or a whole one.
// The real directory never moves, because a venv's scripts hold absolute paths.
func ensureVenv(prefix string, lock []byte) (string, error) {
	root, err := cache.Dir()
	if err != nil {
		return "", err
	}
	base := filepath.Join(root, "venv")
	name := prefix + "-" + shortHash(lock)
	link := filepath.Join(base, name)
	if pyvenv.Complete(link) {
		return link, nil
	}
	python, err := pyvenv.FindPython()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("creating venv cache: %w", err)
	}
	unlock, err := lockPath(link + ".lock")
	if err != nil {
		return "", fmt.Errorf("locking venv cache: %w", err)
	}
	defer unlock()
	if pyvenv.Complete(link) { // another process built it while we waited
		return link, nil
	}
	// Builds that died left directories behind; holding the lock, we know none is live.
	stale, _ := filepath.Glob(link + ".d-*")
	for _, d := range stale {
		os.RemoveAll(d)
	}
	dir, err := os.MkdirTemp(base, name+".d-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		return "", fmt.Errorf("creating venv: %w", err)
	}
	if err := pyvenv.Build(python, dir, lock, time.Now().UTC().Format(time.RFC3339)); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return link, publish(filepath.Base(dir), link)
}

// publish points link at target (a name in the same folder) atomically.
func publish(target, link string) error {
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("publishing %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		return fmt.Errorf("publishing %s: %w", link, err)
	}
	return nil
}

// lockPath takes an exclusive flock on path and returns its release.
func lockPath(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
