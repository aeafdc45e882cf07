package mlflow

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// modelRun creates a run with a small model directory under "model", and returns the run
// and the model's source URI.
func modelRun(t *testing.T, c *Client) (*Run, string) {
	t.Helper()
	run := newRun(t, c)
	if err := c.UploadArtifact(testCtx(t), run.Info.ArtifactURI, "model/MLmodel", bytes.NewReader([]byte("flavors: {}\n"))); err != nil {
		t.Fatal(err)
	}
	return run, run.Info.ArtifactURI + "/model"
}

func TestRegisteredModels(t *testing.T) {
	c := testClient(t, realServer(t).URL)
	ctx := testCtx(t)
	name := unique(t)

	for i := range 2 {
		m, err := c.EnsureRegisteredModel(ctx, name, "wine quality", Tag{"owner", "ml"})
		if err != nil || m.Name != name || m.Description != "wine quality" {
			t.Fatalf("EnsureRegisteredModel(%q) #%d = %+v, %v", name, i+1, m, err)
		}
	}
	if _, err := c.CreateRegisteredModel(ctx, name, ""); !IsAlreadyExists(err) {
		t.Errorf("CreateRegisteredModel(%q) of an existing model = %v, want already-exists", name, err)
	}
	found, err := c.SearchRegisteredModels(ctx, Search{Filter: "name = " + quote(name)})
	if err != nil || len(found) != 1 {
		t.Errorf("SearchRegisteredModels(name = %q) = %d models, %v, want 1", name, len(found), err)
	}
	if err := c.SetRegisteredModelTag(ctx, name, "lineage.pipeline", "ferry"); err != nil {
		t.Fatalf("SetRegisteredModelTag() = %v", err)
	}
	if err := c.DeleteRegisteredModelTag(ctx, name, "owner"); err != nil {
		t.Fatalf("DeleteRegisteredModelTag() = %v", err)
	}
	m, err := c.GetRegisteredModel(ctx, name)
	if tags := TagMap(m.Tags); err != nil || tags["lineage.pipeline"] != "ferry" || tags["owner"] != "" {
		t.Errorf("GetRegisteredModel(%q) tags = %v, %v, want lineage.pipeline=ferry and no owner", name, m.Tags, err)
	}

	// Following page tokens: three models with a common prefix, two per page.
	defer func(old int) { registryPageSize = old }(registryPageSize)
	registryPageSize = 2
	for _, suffix := range []string{"-b", "-c"} {
		if _, err := c.EnsureRegisteredModel(ctx, name+suffix, ""); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.SearchRegisteredModels(ctx, Search{Filter: "name LIKE " + quote(name+"%"), OrderBy: []string{"name ASC"}})
	if err != nil || len(all) != 3 || all[2].Name != name+"-c" {
		t.Errorf("SearchRegisteredModels(name LIKE %q) = %d models, %v, want 3 ending with %s-c", name+"%", len(all), err, name)
	}
}

func TestModelVersions(t *testing.T) {
	c := testClient(t, realServer(t).URL)
	ctx := testCtx(t)
	name := unique(t)
	if _, err := c.EnsureRegisteredModel(ctx, name, ""); err != nil {
		t.Fatal(err)
	}
	run, source := modelRun(t, c)
	spec := ModelVersionSpec{
		Name: name, Source: source, RunID: run.Info.RunID, RunLink: "https://ci.example/runs/42",
		Description: "first", Tags: []Tag{{"data.sha", "d1"}},
	}
	v1, err := c.EnsureModelVersion(ctx, spec)
	if err != nil {
		t.Fatalf("EnsureModelVersion() = %v", err)
	}
	again, err := c.EnsureModelVersion(ctx, spec)
	if err != nil || again.Version != v1.Version {
		t.Errorf("EnsureModelVersion() again = %+v, %v, want version %s", again, err, v1.Version)
	}
	if got, _ := c.SearchModelVersions(ctx, Search{Filter: "name = " + quote(name)}); len(got) != 1 {
		t.Errorf("SearchModelVersions(name = %q) after two Ensure calls = %d versions, want 1", name, len(got))
	}

	ready, err := c.WaitModelVersionReady(ctx, name, v1.Version)
	if err != nil {
		t.Fatalf("WaitModelVersionReady() = %v", err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"status", ready.Status, VersionReady},
		{"source", ready.Source, source},
		{"run id", ready.RunID, run.Info.RunID},
		{"run link", ready.RunLink, spec.RunLink},
		{"description", ready.Description, "first"},
		{"tag data.sha", first(ready.Tag("data.sha")), "d1"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("model version %s: %s = %v, want %v", v1.Version, ck.what, ck.got, ck.want)
		}
	}

	v2, err := c.CreateModelVersion(ctx, spec) // Create always registers a new version
	if err != nil || v2.Version == v1.Version {
		t.Fatalf("CreateModelVersion() = %+v, %v, want a second version", v2, err)
	}
	if err := c.SetModelVersionTag(ctx, name, v2.Version, "gate", "passed"); err != nil {
		t.Fatalf("SetModelVersionTag() = %v", err)
	}
	if err := c.DeleteModelVersionTag(ctx, name, v2.Version, "data.sha"); err != nil {
		t.Fatalf("DeleteModelVersionTag() = %v", err)
	}
	got, err := c.GetModelVersion(ctx, name, v2.Version)
	if tags := TagMap(got.Tags); err != nil || tags["gate"] != "passed" || tags["data.sha"] != "" {
		t.Errorf("GetModelVersion(%s) tags = %v, %v, want gate=passed and no data.sha", v2.Version, got.Tags, err)
	}
	passed, err := c.SearchModelVersions(ctx, Search{Filter: "name = " + quote(name) + " AND tags.gate = 'passed'"})
	if err != nil || len(passed) != 1 || passed[0].Version != v2.Version {
		t.Errorf("SearchModelVersions(tags.gate = passed) = %+v, %v, want version %s", passed, err, v2.Version)
	}
}

func TestWaitModelVersionReadyHonoursDeadline(t *testing.T) {
	ts, _ := scripted(t, []int{200}, nil, "") // answers every GET with a non-READY body
	c := testClient(t, ts.URL, WithPollInterval(10*time.Millisecond))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.WaitModelVersionReady(ctx, "m", "1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitModelVersionReady(never ready, 100ms) = %v, want DeadlineExceeded", err)
	}
}

// TestErrorKinds checks that each kind of failure from a real server maps to its predicate.
func TestErrorKinds(t *testing.T) {
	srv := realServer(t)
	c := testClient(t, srv.URL)
	ctx := testCtx(t)
	name := unique(t)
	if _, err := c.EnsureRegisteredModel(ctx, name, ""); err != nil {
		t.Fatal(err)
	}
	run, source := modelRun(t, c)
	tests := []struct {
		name string
		call func() error
		is   func(error) bool
	}{
		{"missing experiment", func() error { _, err := c.GetExperimentByName(ctx, name+"-none"); return err }, IsNotFound},
		{"missing run", func() error { _, err := c.GetRun(ctx, "ffffffffffffffffffffffffffffffff"); return err }, IsNotFound},
		{"missing model", func() error { _, err := c.GetRegisteredModel(ctx, name+"-none"); return err }, IsNotFound},
		{"missing model version", func() error { _, err := c.GetModelVersion(ctx, name, "999"); return err }, IsNotFound},
		{"unknown alias", func() error { _, err := c.GetModelVersionByAlias(ctx, name, "nope"); return err }, IsNotFound},
		{"existing model", func() error { _, err := c.CreateRegisteredModel(ctx, name, ""); return err }, IsAlreadyExists},
		{"bad parameter: filter", func() error {
			_, err := c.SearchModelVersions(ctx, Search{Filter: "bogus_attr = 1"})
			return err
		}, IsInvalidParameter},
		{"bad parameter: source outside the run", func() error {
			_, err := c.CreateModelVersion(ctx, ModelVersionSpec{Name: name, Source: "mlflow-artifacts:/elsewhere/model", RunID: run.Info.RunID})
			return err
		}, IsInvalidParameter},
		{"version of missing model", func() error {
			_, err := c.CreateModelVersion(ctx, ModelVersionSpec{Name: name + "-none", Source: source, RunID: run.Info.RunID})
			return err
		}, IsNotFound},
		{"missing route", func() error {
			_, err := testClient(t, srv.URL+"/no/such/prefix").GetRun(ctx, run.Info.RunID)
			return err
		}, IsEndpointNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var e *Error
			if !tt.is(err) || !errors.As(err, &e) {
				t.Errorf("%s: error = %v, want one of this kind with an *Error inside", tt.name, err)
			}
		})
	}
}
