package mlflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/mlflow/mlflowtest"
)

// Tests against a real MLflow server share one server per test binary (started on first
// use, never under -short); the restart test stops and restarts it, alone.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := mlflowtest.CloseShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping shared mlflow server:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// serverUse lets TestServerRestartMidRun stop the shared server only while no other test
// uses it, should tests ever run in parallel. Call realServer once per top-level test.
var serverUse sync.RWMutex

// realServer returns the shared server, or skips under -short.
func realServer(t *testing.T) *mlflowtest.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real MLflow server; run without -short")
	}
	serverUse.RLock()
	t.Cleanup(serverUse.RUnlock)
	return mlflowtest.Shared(t)
}

// exclusiveServer returns the shared server for a test that stops and restarts it.
func exclusiveServer(t *testing.T) *mlflowtest.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real MLflow server; run without -short")
	}
	serverUse.Lock()
	t.Cleanup(serverUse.Unlock)
	return mlflowtest.Shared(t)
}

// testClient is a client for url with fast retries, so tests that provoke failures stay quick.
func testClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{WithBackoff(20*time.Millisecond, 500*time.Millisecond)}, opts...)
	c, err := New(url, opts...)
	if err != nil {
		t.Fatalf("New(%q) = %v", url, err)
	}
	return c
}

// unique returns a name no other test (or earlier run) on the shared server uses.
func unique(t *testing.T) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")
	return strings.ToLower(name) + "-" + hex.EncodeToString(b[:])
}

// testCtx is a context bounded well inside go test's own timeout.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newRun creates an experiment and a run in it.
func newRun(t *testing.T, c *Client) *Run {
	t.Helper()
	ctx := testCtx(t)
	exp, err := c.GetOrCreateExperiment(ctx, unique(t))
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.CreateRun(ctx, exp.ID, "run")
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestServerSmoke(t *testing.T) {
	srv := realServer(t)
	t.Logf("mlflow %s at %s, started in %s", mlflowtest.MLflowVersion, srv.URL, srv.Started)
	c := testClient(t, srv.URL)
	run := newRun(t, c)
	if run.Info.Status != RunRunning {
		t.Errorf("CreateRun().Info.Status = %s, want %s", run.Info.Status, RunRunning)
	}
}
