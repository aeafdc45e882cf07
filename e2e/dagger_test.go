//go:build e2e

// Package e2e runs `dagger call` on this project's module against the
// offline test bed's real engine, mirror registries and relays.
//
// Run it through `make test`, or by hand with the test bed up:
//
//	eval "$(bin/testbed env)" && go test -tags e2e ./e2e/...
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// env is what `testbed env` exports.
type env struct {
	registry, goproxy, pipIndex, imageLock, trivyDB string
}

func testbedEnv(t *testing.T) env {
	t.Helper()
	e := env{
		registry:  os.Getenv("FERRY_REGISTRY"),
		goproxy:   os.Getenv("FERRY_GOPROXY"),
		pipIndex:  os.Getenv("FERRY_PIP_INDEX_URL"),
		imageLock: os.Getenv("FERRY_IMAGE_LOCK"),
		trivyDB:   os.Getenv("FERRY_TRIVY_DB"),
	}
	if e.registry == "" || e.imageLock == "" || e.trivyDB == "" || os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") == "" {
		t.Fatal(`the test bed's environment is not set: run make test, or eval "$(bin/testbed env)" first`)
	}
	return e
}

// root is the repository root (the module's dagger.json).
func root(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// result is one dagger invocation.
type result struct {
	stdout, stderr string
	err            error
}

// run runs the dagger CLI in the repository root.
func run(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dagger", append([]string{"--progress=plain"}, args...)...)
	cmd.Dir = root(t)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return result{stdout: strings.TrimSpace(out.String()), stderr: errb.String(), err: err}
}

// call runs `dagger call` on this module with the test bed's constructor
// arguments (image lock, relays) and fails the test on error.
func call(t *testing.T, e env, args ...string) string {
	t.Helper()
	r := callResult(t, e, true, args...)
	if r.err != nil {
		t.Fatalf("dagger call %s: %v\n%s", strings.Join(args, " "), r.err, tail(r.stderr, 40))
	}
	return r.stdout
}

// callResult is call without failing, optionally without the relays.
func callResult(t *testing.T, e env, relays bool, args ...string) result {
	t.Helper()
	ctor := []string{"call", "--image-lock=" + e.imageLock,
		"--trivy-db-repository=" + e.trivyDB, "--insecure-registries=" + e.registry}
	if relays {
		ctor = append(ctor, "--pip-index-url="+e.pipIndex, "--goproxy="+e.goproxy)
	}
	return run(t, 20*time.Minute, append(ctor, args...)...)
}

func nonce(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lockedBuffer collects a background command's output safely.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
