package register

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/ferryml/ferry/pipelines/lineage"
	"github.com/ferryml/ferry/pipelines/mlflow"
)

// findOrCreateRun returns the oldest active run of the experiment tagged with the plan's
// lineage key and model name, or creates one carrying the lineage tags.
func findOrCreateRun(ctx context.Context, c *mlflow.Client, expID string, p *plan) (*mlflow.Run, bool, error) {
	filter := fmt.Sprintf("tags.`%s` = '%s' AND tags.`%s` = %s", lineage.TagKey, p.key, lineage.TagModelName, quote(p.record.ModelName))
	runs, err := c.SearchRuns(ctx, []string{expID}, mlflow.Search{Filter: filter, OrderBy: []string{"attributes.start_time ASC"}, Limit: 1})
	if err != nil {
		return nil, false, fmt.Errorf("looking for the run of lineage key %s: %w", p.key, err)
	}
	if len(runs) > 0 {
		return &runs[0], true, nil
	}
	tags := lineageOf(p, "")
	delete(tags, lineage.TagMLflowRunID)
	r := p.record
	for k, v := range map[string]string{"mlflow.source.git.commit": r.GitSHA, "mlflow.source.git.branch": r.Branch, "mlflow.source.git.repoURL": r.RepositoryURL} {
		if v != "" {
			tags[k] = v
		}
	}
	name := fmt.Sprintf("%s-%s-%.8s", r.ModelName, r.ModelKind, r.GitSHA)
	run, err := c.CreateRun(ctx, expID, name, mlflow.Tags(tags)...)
	if err != nil {
		return nil, false, fmt.Errorf("creating run: %w", err)
	}
	return run, false, nil
}

// logRun logs what the run lacks: params, metrics and lineage tags. Values the run holds
// already are not sent again; a param it holds with another value is an error, as MLflow
// never changes a param.
func logRun(ctx context.Context, c *mlflow.Client, p *plan, run *mlflow.Run) error {
	var b mlflow.Batch
	d := p.out.data
	for _, k := range slices.Sorted(maps.Keys(d.params)) {
		have, ok := run.Param(k)
		switch {
		case !ok:
			b.Params = append(b.Params, mlflow.Param{Key: k, Value: d.params[k]})
		case have != d.params[k]:
			return fmt.Errorf("param %q is %q on the run but %q in metrics.json: these inputs (lineage key %s) trained differently before; make training deterministic, or delete run %s to register anew",
				k, have, d.params[k], p.key, run.Info.RunID)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.metrics)) {
		have, ok := run.Metric(k)
		if v := d.metrics[k]; !ok || (have != v && !(math.IsNaN(have) && math.IsNaN(v))) {
			b.Metrics = append(b.Metrics, mlflow.Metric{Key: k, Value: v})
		}
	}
	b.Tags = missingTags(mlflow.TagMap(run.Data.Tags), lineageOf(p, run.Info.RunID))
	if len(b.Params)+len(b.Metrics)+len(b.Tags) == 0 {
		return nil
	}
	return c.LogBatch(ctx, run.Info.RunID, b)
}

// missingTags returns the tags of want that have holds no value for, sorted: a reused run
// or version keeps the lineage it was created with.
func missingTags(have, want map[string]string) []mlflow.Tag {
	var out []mlflow.Tag
	for _, t := range mlflow.Tags(want) {
		if _, ok := have[t.Key]; !ok {
			out = append(out, t)
		}
	}
	return out
}

// upload stores the output's artifacts below the run's artifact URI; with only set, just
// the paths in it.
func upload(ctx context.Context, c *mlflow.Client, out *output, artifactURI string, only map[string]bool) error {
	for _, a := range out.artifacts {
		if only != nil && !only[a.path] {
			continue
		}
		if err := uploadOne(ctx, c, out, artifactURI, a); err != nil {
			return err
		}
	}
	return nil
}

func uploadOne(ctx context.Context, c *mlflow.Client, out *output, artifactURI string, a artifact) error {
	f, err := out.fsys.Open(a.path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", a.path, err)
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok { // an fs.FS whose files cannot seek: retries need to read from the start
		b, err := io.ReadAll(f)
		if err != nil {
			return fmt.Errorf("reading %s: %w", a.path, err)
		}
		rs = bytes.NewReader(b)
	}
	return c.UploadArtifact(ctx, artifactURI, a.path, rs)
}

// repairArtifacts uploads again any file of a complete run that the artifact store no
// longer lists with the size it had.
func repairArtifacts(ctx context.Context, c *mlflow.Client, out *output, artifactURI string) error {
	listed := map[string]int64{}
	if err := listAll(ctx, c, artifactURI, "", listed); err != nil {
		return err
	}
	missing := map[string]bool{}
	for _, a := range out.artifacts {
		if size, ok := listed[a.path]; !ok || size != a.size {
			missing[a.path] = true
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return upload(ctx, c, out, artifactURI, missing)
}

// listAll records the size of every file below dir.
func listAll(ctx context.Context, c *mlflow.Client, artifactURI, dir string, sizes map[string]int64) error {
	files, err := c.ListArtifacts(ctx, artifactURI, dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.IsDir {
			if err := listAll(ctx, c, artifactURI, f.Path, sizes); err != nil {
				return err
			}
			continue
		}
		sizes[f.Path] = f.Size
	}
	return nil
}

// findOrCreateVersion returns the lowest-numbered version of the model tagged with the
// plan's lineage key (failed registrations aside), or registers the run's model folder.
func findOrCreateVersion(ctx context.Context, c *mlflow.Client, p *plan, run *mlflow.Run, source, runLink string) (*mlflow.ModelVersion, bool, error) {
	filter := fmt.Sprintf("name = %s AND tags.`%s` = '%s'", quote(p.Model), lineage.TagKey, p.key)
	versions, err := c.SearchModelVersions(ctx, mlflow.Search{Filter: filter})
	if err != nil {
		return nil, false, fmt.Errorf("looking for the version of lineage key %s: %w", p.key, err)
	}
	var found *mlflow.ModelVersion
	for i, v := range versions {
		if v.Status != mlflow.VersionFailed && (found == nil || number(v.Version) < number(found.Version)) {
			found = &versions[i]
		}
	}
	if found != nil {
		return found, true, nil
	}
	v, err := c.CreateModelVersion(ctx, mlflow.ModelVersionSpec{
		Name: p.Model, Source: source, RunID: run.Info.RunID, RunLink: runLink,
		Tags: mlflow.Tags(lineageOf(p, run.Info.RunID)),
	})
	return v, false, err
}

// tagVersion gives the version the lineage tags it lacks (its own number included), and
// the run the version number.
func tagVersion(ctx context.Context, c *mlflow.Client, p *plan, run *mlflow.Run, v *mlflow.ModelVersion) error {
	want := lineageOf(p, v.RunID)
	want[lineage.TagMLflowVersion] = v.Version
	for _, t := range missingTags(mlflow.TagMap(v.Tags), want) {
		if err := c.SetModelVersionTag(ctx, p.Model, v.Version, t.Key, t.Value); err != nil {
			return err
		}
	}
	if have, _ := run.Tag(lineage.TagMLflowVersion); have == v.Version {
		return nil
	}
	return c.SetRunTags(ctx, run.Info.RunID, mlflow.Tag{Key: lineage.TagMLflowVersion, Value: v.Version})
}
