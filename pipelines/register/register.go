package register

import (
	"context"
	"fmt"
	"time"

	"github.com/ferryml/ferry/pipelines/mlflow"
)

// ArtifactsTag is the run tag that Register sets once every artifact is uploaded: the
// lineage.Combine hash of the uploaded files (path and SHA-256 of each). A run without it
// is unfinished; a run with it is complete, and a later Register of the same inputs
// uploads nothing to it (first registration wins, see Register).
const ArtifactsTag = "ferry.register.artifacts_sha256"

// Result is what Register registered or found registered.
type Result struct {
	ExperimentID  string
	RunID         string // run holding the metrics and artifacts
	RunLink       string // the run's page in the MLflow UI
	Version       string // registered model version
	Reused        bool   // the run existed already: an earlier Register had these inputs
	VersionReused bool   // the version existed already
	OutputDiffers bool   // the reused run holds another training output of the same inputs; it was kept
	ModelURI      string // the version's source: mlflow-artifacts:/<exp>/<run>/artifacts/model
	Alias         string // alias now pointing at Version
}

// StepError is a Register step that failed after the run was found or created. Register
// then marks the run FAILED (best effort); running Register again with the same inputs
// reuses the run and any version, and finishes the job.
type StepError struct {
	// Step is one of, in order: "logging params, metrics and tags", "uploading artifacts",
	// "tagging run", "checking artifacts", "creating registered model", "creating model
	// version", "waiting for model version", "tagging model version", "setting alias",
	// "finishing run".
	Step  string
	RunID string
	Err   error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("registering run %s: %s: %v (run marked FAILED, best effort; register the same inputs again to finish)", e.RunID, e.Step, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Register logs a training output to an MLflow run and registers its model/ folder as a
// version of in.Model, with lineage tags on both, and points in.Alias at that version.
//
// It is idempotent on in.Lineage.Key(): the run and the version carry that key in tag
// lineage.TagKey, and a Register whose key matches reuses them instead of creating twins.
// A reused run that is complete (ArtifactsTag set) keeps what it holds: first
// registration wins, so a registered version never changes under its users (a file the
// store no longer lists with its size is uploaded again). A reused run that an earlier,
// failed Register left unfinished gets its data logged (values it holds are skipped; a
// param with another value is an error) and every artifact uploaded again (overwriting).
//
// Everything is checked before the first write: a bad input returns an error naming the
// file or field and leaves MLflow untouched. Two Registers of the same inputs racing may
// still create two runs; one pipeline retried any number of times creates one.
func Register(ctx context.Context, c *mlflow.Client, in Input, opts ...Option) (*Result, error) {
	o := newOptions(opts)
	p, err := prepare(in)
	if err != nil {
		return nil, err
	}
	exp, err := c.GetOrCreateExperiment(ctx, p.Experiment)
	if err != nil {
		return nil, fmt.Errorf("getting experiment %q: %w", p.Experiment, err)
	}
	if exp.LifecycleStage != "" && exp.LifecycleStage != "active" {
		return nil, fmt.Errorf("experiment %q is %s: restore it (mlflow experiments restore) or use another name", p.Experiment, exp.LifecycleStage)
	}
	run, reused, err := findOrCreateRun(ctx, c, exp.ID, p)
	if err != nil {
		return nil, err
	}
	res := &Result{
		ExperimentID: exp.ID, RunID: run.Info.RunID, Reused: reused, Alias: p.Alias,
		RunLink:  fmt.Sprintf("%s/#/experiments/%s/runs/%s", c.URL(), exp.ID, run.Info.RunID),
		ModelURI: run.Info.ArtifactURI + "/" + modelDir,
	}
	o.logger.Info("register: run", "run_id", res.RunID, "reused", reused, "key", p.key)
	if step, err := complete(ctx, c, o, p, run, res); err != nil {
		markFailed(ctx, c, o, run.Info.RunID)
		return nil, &StepError{Step: step, RunID: run.Info.RunID, Err: err}
	}
	return res, nil
}

// complete runs the steps that follow the run's creation and names the one that failed.
func complete(ctx context.Context, c *mlflow.Client, o options, p *plan, run *mlflow.Run, res *Result) (string, error) {
	done, _ := run.Tag(ArtifactsTag)
	switch {
	case done == "": // new, or left unfinished by a failed Register
		if err := logRun(ctx, c, p, run); err != nil {
			return "logging params, metrics and tags", err
		}
		if err := upload(ctx, c, p.out, run.Info.ArtifactURI, nil); err != nil {
			return "uploading artifacts", err
		}
		if err := c.SetRunTags(ctx, run.Info.RunID, mlflow.Tag{Key: ArtifactsTag, Value: p.out.digest}); err != nil {
			return "tagging run", err
		}
	case done == p.out.digest: // complete, with this very output
		if err := repairArtifacts(ctx, c, p.out, run.Info.ArtifactURI); err != nil {
			return "checking artifacts", err
		}
	default: // complete, with another training of the same inputs: first registration wins
		res.OutputDiffers = true
		o.logger.Warn("register: the run of these inputs holds another training output; keeping it",
			"run_id", run.Info.RunID, "run_artifacts", done, "output", p.out.digest)
	}
	if _, err := c.EnsureRegisteredModel(ctx, p.Model, ""); err != nil {
		return "creating registered model", err
	}
	v, reused, err := findOrCreateVersion(ctx, c, p, run, res.ModelURI, res.RunLink)
	if err != nil {
		return "creating model version", err
	}
	res.VersionReused, res.ModelURI = reused, v.Source
	wctx, cancel := context.WithTimeout(ctx, o.readyTimeout)
	v, err = c.WaitModelVersionReady(wctx, p.Model, v.Version)
	cancel()
	if err != nil {
		return "waiting for model version", err
	}
	res.Version = v.Version
	if err := tagVersion(ctx, c, p, run, v); err != nil {
		return "tagging model version", err
	}
	if err := c.SetAlias(ctx, p.Model, p.Alias, v.Version); err != nil {
		return "setting alias", err
	}
	if run.Info.Status != mlflow.RunFinished {
		if err := c.SetTerminated(ctx, run.Info.RunID, mlflow.RunFinished); err != nil {
			return "finishing run", err
		}
	}
	return "", nil
}

// markFailed ends a run as FAILED after a failed step, also when ctx has ended.
func markFailed(ctx context.Context, c *mlflow.Client, o options, runID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := c.SetTerminated(ctx, runID, mlflow.RunFailed); err != nil {
		o.logger.Warn("register: could not mark the run FAILED", "run_id", runID, "error", err.Error())
	}
}

// lineageOf is the record as the run and version carry it.
func lineageOf(p *plan, runID string) map[string]string {
	r := p.record
	r.MLflowRunID = runID
	return r.Tags()
}
