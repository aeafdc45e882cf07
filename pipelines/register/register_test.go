package register_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/lineage"
	"github.com/ferryml/ferry/pipelines/mlflow"
	"github.com/ferryml/ferry/pipelines/register"
)

var fixtureFiles = []string{"model/model-settings.json", "model/model.joblib", "metrics.json", "predictions.csv"}

func TestRegisterTwice(t *testing.T) {
	c := newClient(t, realServer(t).URL)
	ctx := testCtx(t)
	dir := fixture(t)
	in := input(t, dir, "carat,cut\n0.3,Ideal\n")

	first, err := register.Register(ctx, c, in)
	if err != nil {
		t.Fatalf("Register() = %v", err)
	}
	if first.Reused || first.VersionReused || first.Version != "1" || first.Alias != register.DefaultAlias {
		t.Errorf("Register() #1 = %+v, want a new run, version 1, alias %s", first, register.DefaultAlias)
	}
	second, err := register.Register(ctx, c, in)
	if err != nil {
		t.Fatalf("Register() #2 = %v", err)
	}
	if !second.Reused || !second.VersionReused || second.RunID != first.RunID || second.Version != first.Version || second.OutputDiffers {
		t.Errorf("Register() #2 = %+v, want the run and version of #1 (%+v) reused", second, first)
	}

	// Exactly one run and one version carry these inputs.
	key := in.Lineage.Key()
	runs, err := c.SearchRuns(ctx, []string{first.ExperimentID}, mlflow.Search{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("SearchRuns(experiment) = %d runs, %v, want 1", len(runs), err)
	}
	versions, err := c.SearchModelVersions(ctx, mlflow.Search{Filter: "name = '" + in.Model + "'"})
	if err != nil || len(versions) != 1 {
		t.Fatalf("SearchModelVersions(%s) = %d versions, %v, want 1", in.Model, len(versions), err)
	}
	run, v := &runs[0], &versions[0]
	if got, _ := run.Tag(lineage.TagKey); got != key || run.Info.Status != mlflow.RunFinished {
		t.Errorf("run tag %s = %q, status %s; want %s, FINISHED", lineage.TagKey, got, run.Info.Status, key)
	}

	// Every lineage tag, on both, and no credential anywhere.
	want := in.Lineage
	want.ModelName, want.MLflowRunID, want.MLflowVersion = in.Model, first.RunID, first.Version
	for k, val := range want.Tags() {
		if got, _ := run.Tag(k); got != val {
			t.Errorf("run tag %s = %q, want %q", k, got, val)
		}
		if got, _ := v.Tag(k); got != val {
			t.Errorf("version tag %s = %q, want %q", k, got, val)
		}
	}
	for _, tags := range [][]mlflow.Tag{run.Data.Tags, v.Tags} {
		for _, tag := range tags {
			if strings.Contains(tag.Value, "s3cr3t") || strings.Contains(tag.Value, "ci-bot") {
				t.Errorf("tag %s = %q holds the repository credentials", tag.Key, tag.Value)
			}
		}
	}
	back, err := lineage.FromTags(mlflow.TagMap(v.Tags))
	if err != nil || back.Key() != key || back.MLflowVersion != first.Version {
		t.Errorf("lineage.FromTags(version tags) = %+v, %v, want key %s and version %s", back, err, key, first.Version)
	}

	// The version's source is the run's model folder, as the server names it.
	if v.Source != first.ModelURI || !strings.HasPrefix(v.Source, "mlflow-artifacts:/") || !strings.HasSuffix(v.Source, "/"+first.RunID+"/artifacts/model") {
		t.Errorf("version source = %q, want %q (mlflow-artifacts:/…/<run>/artifacts/model)", v.Source, first.ModelURI)
	}
	if v.RunID != first.RunID || v.RunLink != first.RunLink || !strings.HasPrefix(v.RunLink, c.URL()+"/#/experiments/") {
		t.Errorf("version run = %q, link %q; want %q, %q", v.RunID, v.RunLink, first.RunID, first.RunLink)
	}
	byAlias, err := c.GetModelVersionByAlias(ctx, in.Model, register.DefaultAlias)
	if err != nil || byAlias.Version != first.Version {
		t.Errorf("GetModelVersionByAlias(%s) = %+v, %v, want version %s", register.DefaultAlias, byAlias, err, first.Version)
	}

	// Metrics, params and artifacts as the training wrote them.
	for k, val := range map[string]float64{"accuracy": 0.7812, "per_class.Very Good.f1": 0.634, "n_test": 273} {
		if got, ok := run.Metric(k); !ok || got != val {
			t.Errorf("run metric %q = %v, %v, want %v", k, got, ok, val)
		}
	}
	for k, val := range map[string]string{"params.learning_rate": "0.1", "params.early_stopping": "true", "model": "candidate", "versions.scikit-learn": "1.9.1"} {
		if got, _ := run.Param(k); got != val {
			t.Errorf("run param %q = %q, want %q", k, got, val)
		}
	}
	assertArtifacts(t, c, run.Info.ArtifactURI, dir)
	got := t.TempDir()
	if err := c.DownloadDir(ctx, v.Source, "", got); err != nil {
		t.Fatalf("DownloadDir(%s) = %v", v.Source, err)
	}
	for _, f := range []string{"model-settings.json", "model.joblib"} {
		if a, b := read(t, filepath.Join(got, f)), read(t, filepath.Join(dir, "model", f)); !bytes.Equal(a, b) {
			t.Errorf("downloaded model/%s differs from the training output", f)
		}
	}
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertArtifacts checks that every fixture file is stored byte for byte below uri.
func assertArtifacts(t *testing.T, c *mlflow.Client, uri, dir string) {
	t.Helper()
	for _, f := range fixtureFiles {
		got, err := c.ReadArtifact(testCtx(t), uri, f)
		if err != nil || !bytes.Equal(got, read(t, filepath.Join(dir, filepath.FromSlash(f)))) {
			t.Errorf("ReadArtifact(%s) = %d bytes, %v, want the file of the training output", f, len(got), err)
		}
	}
}

func TestNewDataNewVersion(t *testing.T) {
	c := newClient(t, realServer(t).URL)
	ctx := testCtx(t)
	dir := fixture(t)
	in := input(t, dir, "carat,cut\n0.3,Ideal\n")
	first, err := register.Register(ctx, c, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Lineage = record(t, "carat,cut\n0.3,Ideal\n0.4,Good\n")
	second, err := register.Register(ctx, c, in)
	if err != nil {
		t.Fatalf("Register(new data) = %v", err)
	}
	if second.Reused || second.VersionReused || second.RunID == first.RunID || second.Version != "2" {
		t.Errorf("Register(new data) = %+v, want a new run and version 2", second)
	}
	if cur, err := register.Current(ctx, c, in.Model, register.DefaultAlias); err != nil || cur != "2" {
		t.Errorf("Current(%s) = %q, %v, want 2", register.DefaultAlias, cur, err)
	}
	versions, err := c.SearchModelVersions(ctx, mlflow.Search{Filter: "name = '" + in.Model + "'"})
	if err != nil || len(versions) != 2 {
		t.Errorf("SearchModelVersions() = %d versions, %v, want 2", len(versions), err)
	}
}

// A training of the same inputs that writes other bytes (train_seconds differs) does not
// change what is registered: the first registration wins.
func TestReusedRunKeepsFirstOutput(t *testing.T) {
	c := newClient(t, realServer(t).URL)
	ctx := testCtx(t)
	dir := fixture(t)
	in := input(t, dir, "carat,cut\n0.3,Ideal\n")
	first, err := register.Register(ctx, c, in)
	if err != nil {
		t.Fatal(err)
	}
	kept := t.TempDir()
	if err := os.CopyFS(kept, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	metrics := filepath.Join(dir, "metrics.json")
	if err := os.WriteFile(metrics, bytes.Replace(read(t, metrics), []byte("2.481"), []byte("3.5"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := register.Register(ctx, c, in)
	if err != nil {
		t.Fatalf("Register(retrained) = %v", err)
	}
	if !second.Reused || !second.OutputDiffers || second.Version != first.Version {
		t.Errorf("Register(retrained) = %+v, want run and version %s reused, OutputDiffers", second, first.Version)
	}
	run, err := c.GetRun(ctx, first.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := run.Metric("train_seconds"); got != 2.481 {
		t.Errorf("run metric train_seconds = %v, want the first training's 2.481", got)
	}
	assertArtifacts(t, c, run.Info.ArtifactURI, kept)
}

// A complete run whose stored file lost its content gets it back.
func TestRepairsArtifacts(t *testing.T) {
	c := newClient(t, realServer(t).URL)
	ctx := testCtx(t)
	dir := fixture(t)
	in := input(t, dir, "carat,cut\n0.3,Ideal\n")
	first, err := register.Register(ctx, c, in)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.GetRun(ctx, first.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UploadArtifact(ctx, run.Info.ArtifactURI, "model/model.joblib", bytes.NewReader([]byte("trunc"))); err != nil {
		t.Fatal(err)
	}
	if _, err := register.Register(ctx, c, in); err != nil {
		t.Fatalf("Register() again = %v", err)
	}
	assertArtifacts(t, c, run.Info.ArtifactURI, dir)
}
