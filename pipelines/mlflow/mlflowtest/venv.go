package mlflowtest

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"github.com/ferryml/ferry/pipelines/pyvenv"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ferryml/ferry/pipelines/cache"
)

// requirementsLock pins mlflow and every transitive dependency with --hash lines.
//
//go:embed requirements.lock
var requirementsLock []byte

// MLflowVersion is the MLflow release that requirements.lock pins.
const MLflowVersion = "3.17.2"

// errNoPython marks a machine without a usable python3 (pyvenv.ErrNoPython).
var errNoPython = pyvenv.ErrNoPython

// venvName is the cache entry for this lock file: mlflow-<first 12 hex of sha256(lock)>.
func venvName() string {
	sum := sha256.Sum256(requirementsLock)
	return "mlflow-" + hex.EncodeToString(sum[:])[:12]
}

// cacheRoot is where the venv is kept (see package cache).
func cacheRoot() (string, error) { return cache.Dir() }

// Venv returns the venv holding the pinned MLflow, building it on first use.
func Venv(t testing.TB) string {
	t.Helper()
	dir, err := ensureVenv()
	if err != nil {
		fail(t, err)
	}
	return dir
}

// PackageDir returns the installed mlflow Python package (site-packages/mlflow), whose
// protos and server handlers the client's contract test reads.
func PackageDir(t testing.TB) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(Venv(t), "lib", "python3*", "site-packages", "mlflow"))
	if len(matches) != 1 {
		t.Fatalf("finding site-packages/mlflow in %s: found %v", Venv(t), matches)
	}
	return matches[0]
}

// fail stops t (pyvenv.Fail).
func fail(t testing.TB, err error) {
	t.Helper()
	pyvenv.Fail(t, err)
}

// ensureVenv returns <cache>/venv/<venvName>, a symlink to a complete venv. The venv is
// built under a file lock in a directory of its own, then the symlink is renamed into
// place: other processes see no venv or a whole one. The real directory never moves,
// because a venv's scripts hold absolute paths.
func ensureVenv() (string, error) {
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	base := filepath.Join(root, "venv")
	link := filepath.Join(base, venvName())
	if venvReady(link) {
		return link, nil
	}
	python, err := pyvenv.FindPython()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("creating venv cache: %w", err)
	}
	lock, err := os.OpenFile(link+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("locking venv cache: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking venv cache: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if venvReady(link) { // another process built it while we waited
		return link, nil
	}
	// Builds that died left directories behind; holding the lock, we know none is live.
	// The symlink's target, if any, is incomplete (or we would have returned) and goes too.
	stale, _ := filepath.Glob(link + ".d-*")
	for _, d := range stale {
		os.RemoveAll(d)
	}
	dir, err := os.MkdirTemp(base, venvName()+".d-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		return "", fmt.Errorf("creating venv: %w", err)
	}
	if err := pyvenv.Build(python, dir, requirementsLock, MLflowVersion); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	tmpLink := link + ".new"
	os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(dir), tmpLink); err != nil {
		return "", fmt.Errorf("publishing venv: %w", err)
	}
	if err := os.Rename(tmpLink, link); err != nil {
		return "", fmt.Errorf("publishing venv: %w", err)
	}
	return link, nil
}

// venvReady reports whether dir is a complete venv: the marker is written last.
func venvReady(dir string) bool { return pyvenv.Complete(dir) }
