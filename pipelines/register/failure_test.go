package register_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferryml/ferry/pipelines/mlflow"
	"github.com/ferryml/ferry/pipelines/register"
)

// failOnce is a proxy in front of the server that answers 500 to the first request match
// selects: before passing it on (lost on the way) or after (lost on the way back).
func failOnce(t *testing.T, target string, after bool, match func(*http.Request) bool) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	var failed atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !match(r) || failed.Swap(true) {
			proxy.ServeHTTP(w, r)
			return
		}
		if after {
			proxy.ServeHTTP(httptest.NewRecorder(), r)
		}
		http.Error(w, "injected failure", http.StatusInternalServerError)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestFailedStepThenRerun fails one step once, then registers again: the second Register
// finishes the job with the first one's run and without a second version.
func TestFailedStepThenRerun(t *testing.T) {
	srv := realServer(t)
	createVersion := func(r *http.Request) bool { return r.URL.Path == "/api/2.0/mlflow/model-versions/create" }
	uploadMetrics := func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/artifacts/metrics.json")
	}
	setAlias := func(r *http.Request) bool {
		return r.Method == http.MethodPost && r.URL.Path == "/api/2.0/mlflow/registered-models/alias"
	}
	for _, tt := range []struct {
		name     string
		after    bool // the server carried the request out before the answer was lost
		match    func(*http.Request) bool
		step     string
		versions int // versions after the failure
	}{
		{"create version lost before the server", false, createVersion, "creating model version", 0},
		{"create version lost after the server", true, createVersion, "creating model version", 1},
		{"artifact upload", false, uploadMetrics, "uploading artifacts", 0},
		{"alias", true, setAlias, "setting alias", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			direct := newClient(t, srv.URL)
			// No retries: the client would otherwise recover from the failure by itself.
			c := newClient(t, failOnce(t, srv.URL, tt.after, tt.match), mlflow.WithRetries(0))
			ctx := testCtx(t)
			dir := fixture(t)
			in := input(t, dir, "carat,cut\n0.3,Ideal\n")

			_, err := register.Register(ctx, c, in)
			var se *register.StepError
			if !errors.As(err, &se) || se.Step != tt.step || !strings.Contains(err.Error(), "FAILED") {
				t.Fatalf("Register() through a failing proxy = %v, want a StepError at %q", err, tt.step)
			}
			run, err := direct.GetRun(ctx, se.RunID)
			if err != nil || run.Info.Status != mlflow.RunFailed {
				t.Errorf("run %s after the failure: %+v, %v, want status FAILED", se.RunID, run, err)
			}
			if n := countVersions(t, direct, in.Model); n != tt.versions {
				t.Errorf("after the failure: %d versions, want %d", n, tt.versions)
			}

			res, err := register.Register(ctx, c, in)
			if err != nil {
				t.Fatalf("Register() again = %v", err)
			}
			if !res.Reused || res.RunID != se.RunID || res.Version != "1" {
				t.Errorf("Register() again = %+v, want run %s reused and version 1", res, se.RunID)
			}
			exp, err := direct.GetExperimentByName(ctx, in.Experiment)
			if err != nil {
				t.Fatal(err)
			}
			if runs, err := direct.SearchRuns(ctx, []string{exp.ID}, mlflow.Search{}); err != nil || len(runs) != 1 || runs[0].Info.Status != mlflow.RunFinished {
				t.Errorf("runs after the rerun = %d, %v, want 1 FINISHED", len(runs), err)
			}
			if n := countVersions(t, direct, in.Model); n != 1 {
				t.Errorf("after the rerun: %d versions, want 1", n)
			}
			if cur, err := register.Current(ctx, direct, in.Model, register.DefaultAlias); err != nil || cur != "1" {
				t.Errorf("Current(%s) = %q, %v, want 1", register.DefaultAlias, cur, err)
			}
			assertArtifacts(t, direct, run.Info.ArtifactURI, dir)
		})
	}
}

func countVersions(t *testing.T, c *mlflow.Client, model string) int {
	t.Helper()
	vs, err := c.SearchModelVersions(testCtx(t), mlflow.Search{Filter: "name = '" + model + "'"})
	if err != nil {
		t.Fatal(err)
	}
	return len(vs)
}

// TestBadInputWritesNothing checks that every bad input is refused with an error naming
// the problem and its fix, before anything reaches MLflow.
func TestBadInputWritesNothing(t *testing.T) {
	c := newClient(t, realServer(t).URL)
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, dir string, in *register.Input)
		want   string
	}{
		{"missing metrics.json", func(t *testing.T, dir string, _ *register.Input) { remove(t, dir, "metrics.json") }, "metrics.json is missing"},
		{"invalid metrics JSON", func(t *testing.T, dir string, _ *register.Input) { write(t, dir, "metrics.json", `{"accuracy": 0.9,`) }, "metrics.json is not valid JSON"},
		{"metrics without numbers", func(t *testing.T, dir string, _ *register.Input) { write(t, dir, "metrics.json", `{"model": "x"}`) }, "no numeric field"},
		{"missing model settings", func(t *testing.T, dir string, _ *register.Input) { remove(t, dir, "model/model-settings.json") }, "model/model-settings.json is missing"},
		{"missing model file", func(t *testing.T, dir string, _ *register.Input) { remove(t, dir, "model/model.joblib") }, `parameters.uri "./model.joblib"`},
		{"missing git sha", func(_ *testing.T, _ string, in *register.Input) { in.Lineage.GitSHA = "" }, "git sha (GitSHA) is missing"},
		{"missing data hash", func(_ *testing.T, _ string, in *register.Input) { in.Lineage.DataFiles = nil }, "lineage.HashFiles"},
		{"bad model name", func(_ *testing.T, _ string, in *register.Input) { in.Model = "team/diamonds" }, "cannot contain / or :"},
		{"reserved alias", func(_ *testing.T, _ string, in *register.Input) { in.Alias = "v2" }, "reserved"},
		{"no output", func(_ *testing.T, _ string, in *register.Input) { in.Output = nil }, "Input.Output"},
		{"no experiment", func(_ *testing.T, _ string, in *register.Input) { in.Experiment = " " }, "Input.Experiment"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			dir := fixture(t)
			in := input(t, dir, "carat,cut\n0.3,Ideal\n")
			tt.change(t, dir, &in)
			before := count(t, c)
			_, err := register.Register(ctx, c, in)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("Register() = %v, want an error with %q", err, tt.want)
			}
			if after := count(t, c); after != before {
				t.Errorf("server holds %+v after the refused Register, want %+v as before", after, before)
			}
		})
	}
}

func remove(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDeletedExperiment: a deleted experiment of that name is named in the error, and no
// run is created in it.
func TestDeletedExperiment(t *testing.T) {
	c := newClient(t, realServer(t).URL)
	ctx := testCtx(t)
	in := input(t, fixture(t), "carat,cut\n0.3,Ideal\n")
	exp, err := c.GetOrCreateExperiment(ctx, in.Experiment)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReader(`{"experiment_id": "` + exp.ID + `"}`)
	resp, err := http.Post(c.URL()+"/api/2.0/mlflow/experiments/delete", "application/json", body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("deleting experiment %s: %v, %v", exp.ID, resp, err)
	}
	resp.Body.Close()
	before := count(t, c)
	if _, err := register.Register(ctx, c, in); err == nil || !strings.Contains(err.Error(), "is deleted: restore it") {
		t.Errorf("Register(deleted experiment) = %v, want an error saying it is deleted", err)
	}
	if after := count(t, c); after != before {
		t.Errorf("server holds %+v after the refused Register, want %+v", after, before)
	}
}
