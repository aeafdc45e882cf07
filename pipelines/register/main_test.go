package register_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/lineage"
	"github.com/ferryml/ferry/pipelines/mlflow"
	"github.com/ferryml/ferry/pipelines/mlflow/mlflowtest"
	"github.com/ferryml/ferry/pipelines/register"
)

// Tests against a real MLflow server share one per test binary (never under -short).
// They do not run in parallel: the bad-input test counts everything on the server.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := mlflowtest.CloseShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping shared mlflow server:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

func realServer(t *testing.T) *mlflowtest.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real MLflow server; run without -short")
	}
	return mlflowtest.Shared(t)
}

// newClient is a client for url with fast retries; opts come after the defaults.
func newClient(t *testing.T, url string, opts ...mlflow.Option) *mlflow.Client {
	t.Helper()
	c, err := mlflow.New(url, append([]mlflow.Option{mlflow.WithBackoff(10*time.Millisecond, 100*time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// unique returns a name no other test (or earlier run) on the shared server uses.
func unique(t *testing.T) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")) + "-" + hex.EncodeToString(b[:])
}

// fixture copies testdata/output, a training output folder, to a folder of the test's own.
func fixture(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", "output"))); err != nil {
		t.Fatal(err)
	}
	return dst
}

// record is the lineage of a training on the given data file content.
func record(t *testing.T, data string) lineage.Record {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "reference.csv")
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := lineage.HashFiles(p)
	if err != nil {
		t.Fatal(err)
	}
	return lineage.Record{
		GitSHA: "4b825dc642cb6eb9a060e54bf8d69288fbee4904", Branch: "main",
		RepositoryURL: "https://ci-bot:s3cr3t-token@git.example.com/ferryml/ferry.git",
		CIRunURL:      "https://ci.example.com/ferryml/ferry/runs/7", PipelineVersion: "0.1.0",
		DataFiles:           files,
		TrainingImageDigest: "sha256:" + strings.Repeat("ab", 32), RequirementsHash: strings.Repeat("cd", 32),
		ModelKind: lineage.Candidate,
	}
}

// input registers the fixture in dir under fresh experiment and model names.
func input(t *testing.T, dir, data string) register.Input {
	name := unique(t)
	return register.Input{Experiment: name, Model: name, Output: os.DirFS(dir), Lineage: record(t, data)}
}

// census counts what the server holds, everywhere.
type census struct{ experiments, runs, models, versions int }

func count(t *testing.T, c *mlflow.Client) census {
	t.Helper()
	ctx := testCtx(t)
	// The client has no experiment search: ask the REST API directly.
	body := bytes.NewReader([]byte(`{"max_results": 50000, "view_type": "ALL"}`))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL()+"/api/2.0/mlflow/experiments/search", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Experiments []mlflow.Experiment `json:"experiments"`
	}
	if raw, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("searching experiments: %s: %s", resp.Status, raw)
	}
	var ids []string
	for _, e := range out.Experiments {
		ids = append(ids, e.ID)
	}
	runs, err := c.SearchRuns(ctx, ids, mlflow.Search{})
	if err != nil {
		t.Fatal(err)
	}
	models, err := c.SearchRegisteredModels(ctx, mlflow.Search{})
	if err != nil {
		t.Fatal(err)
	}
	versions, err := c.SearchModelVersions(ctx, mlflow.Search{})
	if err != nil {
		t.Fatal(err)
	}
	return census{len(out.Experiments), len(runs), len(models), len(versions)}
}
