package register_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/lineage"
	"github.com/ferryml/ferry/pipelines/mlflow"
	"github.com/ferryml/ferry/pipelines/register"
)

func TestPromoteAndRollback(t *testing.T) {
	c := newClient(t, realServer(t).URL)
	ctx := testCtx(t)
	in := input(t, fixture(t), "carat,cut\n0.3,Ideal\n")
	if _, err := register.Register(ctx, c, in); err != nil {
		t.Fatal(err)
	}
	in.Lineage = record(t, "carat,cut\n0.4,Good\n")
	if _, err := register.Register(ctx, c, in); err != nil {
		t.Fatal(err)
	}
	const alias = "champion"
	model := in.Model
	check := func(step, wantCurrent, wantPrevious string) {
		t.Helper()
		cur, err := register.Current(ctx, c, model, alias)
		if err != nil || cur != wantCurrent {
			t.Errorf("after %s: Current() = %q, %v, want %q", step, cur, err, wantCurrent)
		}
		prev, err := register.Previous(ctx, c, model, alias)
		if err != nil || prev != wantPrevious {
			t.Errorf("after %s: Previous() = %q, %v, want %q", step, prev, err, wantPrevious)
		}
	}
	check("registering", "", "")
	if _, err := register.Rollback(ctx, c, model, alias); !errors.Is(err, register.ErrNoPrevious) {
		t.Errorf("Rollback() with nothing recorded = %v, want ErrNoPrevious", err)
	}
	for _, tt := range []struct{ version, previous string }{{"1", ""}, {"2", "1"}, {"2", "1"}} {
		prev, err := register.Promote(ctx, c, model, alias, tt.version)
		if err != nil || prev != tt.previous {
			t.Errorf("Promote(%s) = %q, %v, want previous %q", tt.version, prev, err, tt.previous)
		}
		check("Promote("+tt.version+")", tt.version, tt.previous)
	}
	back, err := register.Rollback(ctx, c, model, alias)
	if err != nil || back != "1" {
		t.Errorf("Rollback() = %q, %v, want 1", back, err)
	}
	check("Rollback()", "1", "2")
	if cur, _ := register.Current(ctx, c, model, register.DefaultAlias); cur != "2" {
		t.Errorf("Current(%s) = %q, want 2: promoting champion leaves challenger alone", register.DefaultAlias, cur)
	}

	if _, err := register.Promote(ctx, c, model, alias, "9"); !mlflow.IsNotFound(err) {
		t.Errorf("Promote(no such version) = %v, want not found", err)
	}
	if _, err := register.Promote(ctx, c, model, "latest", "1"); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("Promote(alias latest) = %v, want a reserved-alias error", err)
	}
	if _, err := register.Current(ctx, c, model+"-missing", alias); !mlflow.IsNotFound(err) {
		t.Errorf("Current(missing model) = %v, want not found", err)
	}
	check("refused promotions", "1", "2")
}

func TestAddVersionTags(t *testing.T) {
	c := newClient(t, realServer(t).URL)
	ctx := testCtx(t)
	in := input(t, fixture(t), "carat,cut\n0.3,Ideal\n")
	res, err := register.Register(ctx, c, in)
	if err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("12", 32)
	add := map[string]string{lineage.TagServingImageDigest: digest, lineage.TagSBOMDigest: digest, "team.owner": "ml"}
	if err := register.AddVersionTags(ctx, c, in.Model, res.Version, add); err != nil {
		t.Fatalf("AddVersionTags() = %v", err)
	}
	v, err := c.GetModelVersion(ctx, in.Model, res.Version)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.GetRun(ctx, res.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range add {
		got, _ := v.Tag(k)
		onRun, _ := run.Tag(k)
		if got != want || onRun != want {
			t.Errorf("tag %s = %q on the version, %q on the run, want %q on both", k, got, onRun, want)
		}
	}
	rec, err := lineage.FromTags(mlflow.TagMap(v.Tags))
	if err != nil || rec.Validate() != nil || rec.ServingImageDigest != digest || rec.Key() != in.Lineage.Key() {
		t.Errorf("lineage.FromTags(version tags) = %+v, %v; want a valid record with the serving digest and the same key", rec, err)
	}

	for _, bad := range []map[string]string{
		{lineage.TagGitSHA: strings.Repeat("f", 40), lineage.TagSignatureDigest: digest},
		{lineage.TagSignatureDigest: "registry.example/app:v1"},
		{"bad key!": "x"},
	} {
		if err := register.AddVersionTags(ctx, c, in.Model, res.Version, bad); err == nil || !strings.Contains(err.Error(), "nothing was written") {
			t.Errorf("AddVersionTags(%v) = %v, want a refusal", bad, err)
		}
	}
	after, err := c.GetModelVersion(ctx, in.Model, res.Version)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := after.Tag(lineage.TagSignatureDigest); got != "" || len(after.Tags) != len(v.Tags) {
		t.Errorf("refused AddVersionTags changed the version's tags: %v, want %v", after.Tags, v.Tags)
	}
}
