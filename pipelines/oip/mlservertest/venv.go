package mlservertest

import (
	"bytes"
	"crypto/sha256"
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

// MLServerVersion is the MLServer release that models/requirements/serve.lock pins.
const MLServerVersion = "1.7.1"

// errNoPython marks a machine without a usable python3: tests fail in CI, skip elsewhere.
var errNoPython = errors.New("python3 with the venv module is required to run a real MLServer " +
	"(Debian: apt-get install python3 python3-venv; or set FERRY_PYTHON to a Python 3.11 interpreter); " +
	"go test -short skips the tests that need it")

// fail stops t: a missing python3 skips outside CI and fails in CI (CI set, and not
// "false" or "0"), so a CI machine without Python cannot pass by skipping.
func fail(t testing.TB, err error) {
	t.Helper()
	if ci := strings.ToLower(os.Getenv("CI")); errors.Is(err, errNoPython) && (ci == "" || ci == "false" || ci == "0") {
		t.Skip(err)
	}
	t.Fatal(err)
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
	if complete(link) {
		return link, nil
	}
	python, err := findPython()
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
	if complete(link) { // another process built it while we waited
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
	if err := buildVenv(python, dir, lock); err != nil {
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

// complete reports whether dir was finished: the marker is written last.
func complete(dir string) bool {
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

// buildVenv creates a venv in dir and installs lock with hashes required, wheels only.
func buildVenv(python, dir string, lock []byte) error {
	lockPath := filepath.Join(dir, "requirements.lock")
	logPath := filepath.Join(dir, "build.log")
	if err := os.WriteFile(lockPath, lock, 0o644); err != nil {
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
	return os.WriteFile(filepath.Join(dir, ".ferry-complete"), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
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
