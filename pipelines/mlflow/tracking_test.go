package mlflow

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

func TestExperiments(t *testing.T) {
	c := testClient(t, realServer(t).URL)
	ctx := testCtx(t)
	name := unique(t)

	if _, err := c.GetExperimentByName(ctx, name); !IsNotFound(err) {
		t.Errorf("GetExperimentByName(%q) = %v, want a not-found error", name, err)
	}
	first, err := c.GetOrCreateExperiment(ctx, name, Tag{"team", "ml"})
	if err != nil {
		t.Fatalf("GetOrCreateExperiment(%q) = %v", name, err)
	}
	second, err := c.GetOrCreateExperiment(ctx, name)
	if err != nil || second.ID != first.ID {
		t.Errorf("GetOrCreateExperiment(%q) again = %+v, %v, want id %s", name, second, err, first.ID)
	}
	if got := TagMap(first.Tags)["team"]; got != "ml" {
		t.Errorf("GetOrCreateExperiment(%q).Tags[team] = %q, want ml", name, got)
	}
	if _, err := c.CreateExperiment(ctx, name, ""); !IsAlreadyExists(err) {
		t.Errorf("CreateExperiment(%q) of an existing name = %v, want already-exists", name, err)
	}
	byID, err := c.GetExperiment(ctx, first.ID)
	if err != nil || byID.Name != name || byID.ArtifactLocation != "mlflow-artifacts:/"+first.ID {
		t.Errorf("GetExperiment(%s) = %+v, %v, want %q with artifacts at mlflow-artifacts:/%s", first.ID, byID, err, name, first.ID)
	}
}

func TestRunLifecycle(t *testing.T) {
	c := testClient(t, realServer(t).URL)
	ctx := testCtx(t)
	exp, err := c.GetOrCreateExperiment(ctx, unique(t))
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.CreateRun(ctx, exp.ID, "train-wine", Tag{"git.sha", "abc123"})
	if err != nil {
		t.Fatalf("CreateRun() = %v", err)
	}
	if run.Info.RunName != "train-wine" || run.Info.ExperimentID != exp.ID || run.Info.StartTime == 0 {
		t.Errorf("CreateRun() = %+v, want run train-wine in experiment %s with a start time", run.Info, exp.ID)
	}
	batch := Batch{
		Metrics: []Metric{{Key: "accuracy", Value: 0.91, Step: 1}, {Key: "loss", Value: math.NaN()}},
		Params:  []Param{{"alpha", "0.5"}, {"l1_ratio", "0.1"}},
		Tags:    []Tag{{"stage", "train"}},
	}
	for i := range 2 { // a replayed batch (what a retry sends) must change nothing
		if err := c.LogBatch(ctx, run.Info.RunID, batch); err != nil {
			t.Fatalf("LogBatch() #%d = %v", i+1, err)
		}
	}
	if err := c.LogMetrics(ctx, run.Info.RunID, 2, map[string]float64{"accuracy": 0.93}); err != nil {
		t.Fatalf("LogMetrics() = %v", err)
	}
	if err := c.LogParams(ctx, run.Info.RunID, map[string]string{"alpha": "0.7"}); !IsInvalidParameter(err) {
		t.Errorf("LogParams(alpha changed) = %v, want invalid-parameter", err)
	}
	if err := c.SetRunTags(ctx, run.Info.RunID, Tag{"stage", "evaluated"}, Tag{"tmp", "x"}); err != nil {
		t.Fatalf("SetRunTags() = %v", err)
	}
	if err := c.DeleteRunTag(ctx, run.Info.RunID, "tmp"); err != nil {
		t.Fatalf("DeleteRunTag() = %v", err)
	}
	if err := c.SetTerminated(ctx, run.Info.RunID, RunFinished); err != nil {
		t.Fatalf("SetTerminated() = %v", err)
	}

	got, err := c.GetRun(ctx, run.Info.RunID)
	if err != nil {
		t.Fatalf("GetRun() = %v", err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"status", got.Info.Status, RunFinished},
		{"has end time", got.Info.EndTime >= got.Info.StartTime, true},
		{"param alpha", first(got.Param("alpha")), "0.5"},
		{"latest accuracy", first(got.Metric("accuracy")), 0.93},
		{"loss is NaN", math.IsNaN(first(got.Metric("loss"))), true},
		{"tag stage", first(got.Tag("stage")), "evaluated"},
		{"tag git.sha", first(got.Tag("git.sha")), "abc123"},
		{"tag tmp deleted", second(got.Tag("tmp")), false},
		{"request id tag", second(got.Tag(RequestIDTag)), true},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("GetRun(): %s = %v, want %v", ck.what, ck.got, ck.want)
		}
	}
	info, err := c.UpdateRun(ctx, run.Info.RunID, RunUpdate{Name: "renamed"})
	if err != nil || info.RunName != "renamed" {
		t.Errorf("UpdateRun(name) = %+v, %v, want run_name renamed", info, err)
	}
	if _, err := c.GetRun(ctx, "0123456789abcdef0123456789abcdef"); !IsNotFound(err) {
		t.Errorf("GetRun(missing) = %v, want not-found", err)
	}
}

func first[T any](v T, _ bool) T      { return v }
func second[T any](_ T, ok bool) bool { return ok }

func TestLogBatchSplitsLargeBatches(t *testing.T) {
	c := testClient(t, realServer(t).URL)
	ctx := testCtx(t)
	run := newRun(t, c)
	var b Batch
	for i := range 2500 {
		b.Metrics = append(b.Metrics, Metric{Key: "curve", Value: float64(i), Step: int64(i)})
	}
	for i := range 150 {
		b.Params = append(b.Params, Param{Key: "p" + strconv.Itoa(i), Value: "v"})
	}
	if err := c.LogBatch(ctx, run.Info.RunID, b); err != nil {
		t.Fatalf("LogBatch(2500 metrics, 150 params) = %v", err)
	}
	got, err := c.GetRun(ctx, run.Info.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Metric("curve"); len(got.Data.Params) != 150 || v != 2499 {
		t.Errorf("GetRun() after LogBatch = %d params, curve %v, want 150 params, curve 2499", len(got.Data.Params), v)
	}
}

func TestSearchRuns(t *testing.T) {
	c := testClient(t, realServer(t).URL)
	ctx := testCtx(t)
	exp, err := c.GetOrCreateExperiment(ctx, unique(t))
	if err != nil {
		t.Fatal(err)
	}
	for i, stage := range []string{"a", "b", "a", "a"} {
		r, err := c.CreateRun(ctx, exp.ID, "r"+strconv.Itoa(i), Tag{"stage", stage})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.LogMetrics(ctx, r.Info.RunID, 0, map[string]float64{"acc": float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	defer func(old int) { runsPageSize = old }(runsPageSize)
	runsPageSize = 2 // make the searches below follow page tokens
	tests := []struct {
		search Search
		want   []float64 // acc of the runs, in order
	}{
		{Search{Filter: "tags.stage = 'a'", OrderBy: []string{"metrics.acc DESC"}}, []float64{3, 2, 0}},
		{Search{Filter: "tags.stage = 'a'", OrderBy: []string{"metrics.acc ASC"}, Limit: 1}, []float64{0}},
		{Search{Filter: "metrics.acc >= 1", OrderBy: []string{"metrics.acc ASC"}}, []float64{1, 2, 3}},
		{Search{Filter: "tags.stage = 'none'"}, nil},
	}
	for _, tt := range tests {
		runs, err := c.SearchRuns(ctx, []string{exp.ID}, tt.search)
		var got []float64
		for _, r := range runs {
			v, _ := r.Metric("acc")
			got = append(got, v)
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SearchRuns(%+v) = acc %v, %v, want %v", tt.search, got, err, tt.want)
		}
	}
	if _, err := c.SearchRuns(ctx, []string{exp.ID}, Search{Filter: "stage ==== 'a'"}); !IsInvalidParameter(err) {
		t.Errorf("SearchRuns(bad filter) = %v, want invalid-parameter", err)
	}
}

func TestArtifacts(t *testing.T) {
	c := testClient(t, realServer(t).URL)
	ctx := testCtx(t)
	run := newRun(t, c)
	uri := run.Info.ArtifactURI

	local := t.TempDir()
	files := map[string]string{"MLmodel": "flavors: {}\n", "model.pkl": "\x00\x01binary", "data/a b ü.json": "{}"}
	for name, content := range files {
		p := filepath.Join(local, "model", filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.UploadDir(ctx, uri, "model", filepath.Join(local, "model")); err != nil {
		t.Fatalf("UploadDir() = %v", err)
	}
	if err := c.UploadArtifact(ctx, uri, "metrics.json", bytes.NewReader([]byte(`{"acc": 0.9}`))); err != nil {
		t.Fatalf("UploadArtifact() = %v", err)
	}

	root, err := c.ListArtifacts(ctx, uri, "")
	if want := []FileInfo{{Path: "metrics.json", Size: 12}, {Path: "model", IsDir: true}}; err != nil || !slices.Equal(root, want) {
		t.Errorf("ListArtifacts(root) = %+v, %v, want %+v", root, err, want)
	}
	sub, err := c.ListArtifacts(ctx, uri, "model/data")
	if want := []FileInfo{{Path: "model/data/a b ü.json", Size: 2}}; err != nil || !slices.Equal(sub, want) {
		t.Errorf("ListArtifacts(model/data) = %+v, %v, want %+v", sub, err, want)
	}
	if b, err := c.ReadArtifact(ctx, uri, "model/model.pkl"); err != nil || string(b) != files["model.pkl"] {
		t.Errorf("ReadArtifact(model/model.pkl) = %q, %v, want %q", b, err, files["model.pkl"])
	}
	back := t.TempDir()
	if err := c.DownloadDir(ctx, uri, "model", back); err != nil {
		t.Fatalf("DownloadDir() = %v", err)
	}
	for name, content := range files {
		if b, err := os.ReadFile(filepath.Join(back, filepath.FromSlash(name))); err != nil || string(b) != content {
			t.Errorf("downloaded %s = %q, %v, want %q", name, b, err, content)
		}
	}
	if _, err := c.ReadArtifact(ctx, uri, "model/missing"); !IsNotFound(err) {
		t.Errorf("ReadArtifact(missing) = %v, want not-found", err)
	}
	if err := c.UploadArtifact(ctx, uri, "../../escape", bytes.NewReader(nil)); err == nil {
		t.Errorf("UploadArtifact(../../escape) = nil, want an error")
	}
}
