package drift

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/cache"
)

// scipyPython returns a python with the pinned scipy of testdata/scipy.lock, building
// the venv once under ${FERRY_CACHE:-$HOME/.cache/ferry}/venv/scipy-<hash of lock>.
// Without python3 the test is skipped, except under CI=true, where it fails.
func scipyPython(t *testing.T) string {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 not found (CI=true, so this is a failure, not a skip): %v", err)
		}
		t.Skipf("python3 not found: %v", err)
	}
	lock, err := os.ReadFile("testdata/scipy.lock")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	dir := filepath.Join(cacheDir(t), "venv", "scipy-"+hex.EncodeToString(sum[:])[:16])
	bin := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return bin
	}
	// Build beside the final path and rename: a venv is complete or absent, never half there,
	// and two test processes racing each build their own and one rename wins.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".scipy-build-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	run := func(name string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building scipy venv: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	run(python, "-m", "venv", tmp)
	// The venv's python finds its prefix from its own location, so it survives the rename;
	// console scripts (pip) would not, which is why pip runs as a module.
	run(filepath.Join(tmp, "bin", "python"), "-m", "pip", "install", "--quiet", "--no-input",
		"--require-hashes", "--only-binary=:all:", "-r", "testdata/scipy.lock")
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), lock, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil && !errors.Is(err, os.ErrExist) {
		if _, statErr := os.Stat(filepath.Join(dir, ".complete")); statErr != nil {
			t.Fatalf("installing scipy venv: %v", err)
		}
	}
	return bin
}

func cacheDir(t *testing.T) string {
	dir, err := cache.Dir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
