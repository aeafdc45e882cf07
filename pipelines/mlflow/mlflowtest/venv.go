package mlflowtest

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/cache"
)

// requirementsLock pins mlflow and every transitive dependency with --hash lines.
//
//go:embed requirements.lock
var requirementsLock []byte

// MLflowVersion is the MLflow release that requirements.lock pins.
const MLflowVersion = "3.17.2"

// errNoPython marks a machine without a usable python3: tests fail in CI, skip elsewhere.
var errNoPython = errors.New("python3 with the venv module is required to run a real MLflow server " +
	"(Debian: apt-get install python3 python3-venv; or set FERRY_PYTHON to a Python 3.11 interpreter); " +
	"go test -short skips the tests that need it")

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

// fail stops t: a missing python3 skips outside CI and fails in CI (CI set, and not
// "false" or "0"), so a CI machine without Python cannot pass by skipping.
func fail(t testing.TB, err error) {
	t.Helper()
	if ci := strings.ToLower(os.Getenv("CI")); errors.Is(err, errNoPython) && (ci == "" || ci == "false" || ci == "0") {
		t.Skip(err)
	}
	t.Fatal(err)
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
	python, err := findPython()
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
	if err := buildVenv(python, dir); err != nil {
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
func venvReady(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".ferry-complete"))
	return err == nil
}

func findPython() (string, error) {
	python := os.Getenv("FERRY_PYTHON")
	if python == "" {
		python = "python3"
	}
	path, err := exec.LookPath(python)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errNoPython, err)
	}
	if out, err := exec.Command(path, "-c", "import venv, ensurepip").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: %s: %s", errNoPython, path, bytes.TrimSpace(out))
	}
	return path, nil
}

// buildVenv creates a venv in dir and installs requirements.lock with hashes required.
func buildVenv(python, dir string) error {
	lockPath := filepath.Join(dir, "requirements.lock")
	logPath := filepath.Join(dir, "build.log")
	if err := os.WriteFile(lockPath, requirementsLock, 0o644); err != nil {
		return fmt.Errorf("building venv: %w", err)
	}
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("building venv: %w", err)
	}
	defer log.Close()
	start := time.Now()
	steps := [][]string{
		{python, "-m", "venv", dir},
		{filepath.Join(dir, "bin", "python"), "-m", "pip", "install", "--no-input", "--disable-pip-version-check",
			"--require-hashes", "--only-binary", ":all:", "-r", lockPath},
	}
	for _, args := range steps {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building venv (%s): %w\n%s", strings.Join(args[:3], " "), err, tail(logPath, 30))
		}
	}
	fmt.Fprintf(log, "built in %s\n", time.Since(start).Round(time.Second))
	return os.WriteFile(filepath.Join(dir, ".ferry-complete"), []byte(MLflowVersion+"\n"), 0o644)
}

// tail returns the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
