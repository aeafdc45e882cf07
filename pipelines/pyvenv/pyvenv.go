// Package pyvenv builds Python virtual environments from hash-locked
// requirements, for the Go test harnesses that run a real Python server
// (MLflow, MLServer), and says when a machine cannot build one.
package pyvenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ErrNoPython marks a machine without a usable python3: tests fail in CI, skip elsewhere.
var ErrNoPython = errors.New("python3 with the venv module is required to run the real Python server " +
	"(Debian: apt-get install python3 python3-venv; or set FERRY_PYTHON to a Python 3.11 interpreter); " +
	"go test -short skips the tests that need it")

// Fail stops t: a missing python3 (ErrNoPython) skips outside CI and fails in CI (CI set,
// and not "false" or "0"), so a CI machine without Python cannot pass by skipping.
func Fail(t testing.TB, err error) {
	t.Helper()
	if ci := strings.ToLower(os.Getenv("CI")); errors.Is(err, ErrNoPython) && (ci == "" || ci == "false" || ci == "0") {
		t.Skip(err)
	}
	t.Fatal(err)
}

// FindPython returns the interpreter to build venvs with: $FERRY_PYTHON, else python3,
// checked to have the venv and ensurepip modules.
func FindPython() (string, error) {
	python := os.Getenv("FERRY_PYTHON")
	if python == "" {
		python = "python3"
	}
	path, err := exec.LookPath(python)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoPython, err)
	}
	if out, err := exec.Command(path, "-c", "import venv, ensurepip").CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: %s: %s", ErrNoPython, path, bytes.TrimSpace(out))
	}
	return path, nil
}

// Build creates a venv in dir and installs lock with hashes required, wheels only,
// logging to dir/build.log; the marker (see Complete), holding note, is written last.
func Build(python, dir string, lock []byte, note string) error {
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
			return fmt.Errorf("building venv (%s): %w\n%s", strings.Join(args[:3], " "), err, Tail(logPath, 30))
		}
	}
	fmt.Fprintf(log, "built in %s\n", time.Since(start).Round(time.Second))
	return os.WriteFile(filepath.Join(dir, marker), []byte(note+"\n"), 0o644)
}

const marker = ".ferry-complete"

// Complete reports whether dir was finished: Build writes its marker last.
func Complete(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, marker))
	return err == nil
}

// Tail returns the last n lines of a file, for failure messages.
func Tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
