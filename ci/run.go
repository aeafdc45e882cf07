package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
	"github.com/ferryml/ferry/pipelines/report"
)

// Run runs the pipeline end to end on the embedded default (MLflow, an OCI
// registry and a Kubernetes cluster started as services) and returns its
// report in Markdown.
//
// Stages: the toolchain images start; the sample batch passes the data
// checks; a baseline and a candidate are trained and registered in MLflow
// with their lineage; the candidate's serving image is built, passes the
// model API tests and the vulnerability scan, is pushed by digest to the
// embedded registry, signed, attested (SBOM, lineage) and verified, then
// deployed to staging on the embedded cluster and smoke-tested.
// +cache="never"
func (m *Ferry) Run(
	ctx context.Context,
	// The git checkout, read for the commit the models are registered with.
	// +defaultPath="/"
	// +optional
	git *dagger.GitRef,
	// Cache volume of the embedded MLflow server's store.
	// +default="ferry-mlflow"
	mlflowStore string,
) (string, error) {
	r := &report.Report{Title: "ferry run"}
	stage := func(name string, f func() (string, error)) error {
		start := time.Now()
		detail, err := f()
		if err != nil {
			r.Add(name, report.Failed, err.Error(), time.Since(start))
			return err
		}
		r.Add(name, report.Passed, detail, time.Since(start))
		return nil
	}
	err := stage("toolchains", func() (string, error) { return m.toolchains(ctx) })
	if err == nil {
		err = stage("data checks", func() (string, error) { return m.checkSample(ctx) })
	}
	trained := map[string]*Training{}
	for _, model := range models {
		if err == nil {
			err = stage("train "+model, func() (string, error) {
				t, detail, err := m.trainAndSummarize(ctx, model)
				trained[model] = t
				return detail, err
			})
		}
	}
	registered := map[string]*Registration{}
	for _, model := range models {
		if err == nil {
			err = stage("register "+model, func() (string, error) {
				// The candidate is the challenger; the baseline keeps its own alias.
				alias := map[string]string{"baseline": "baseline", "candidate": "challenger"}[model]
				r, err := trained[model].Register(ctx, "", nil, "", nil, "ferry", "diamonds", alias, "", "", "", "", "dev", git, mlflowStore)
				if err != nil {
					return "", err
				}
				registered[model] = r
				how := "new"
				if r.VersionReused {
					how = "reused: same inputs as before"
				}
				return fmt.Sprintf("diamonds version %s (%s), alias %s, run %s", r.Version, how, r.Alias, r.RunID), nil
			})
		}
	}
	if err == nil {
		err = m.ship(ctx, stage, trained["candidate"], registered["candidate"], git)
	}
	if err != nil {
		return r.Markdown(), fmt.Errorf("ferry run failed:\n%s", r.Markdown())
	}
	return r.Markdown(), nil
}

// checkSample runs the data checks on the sample batch and fails on any
// violation.
func (m *Ferry) checkSample(ctx context.Context) (string, error) {
	c, err := m.CheckData(ctx, m.Source.Directory("models/data"), nil, "", "reference.csv", "", nil, nil)
	if err != nil {
		return "", err
	}
	if err := c.Assert(ctx); err != nil {
		return "", err
	}
	return c.Summary(ctx)
}

// trainAndSummarize trains one model and reports its headline metrics.
func (m *Ferry) trainAndSummarize(ctx context.Context, model string) (*Training, string, error) {
	t, err := m.Train(model, m.Source.Directory("models/data"), 42)
	if err != nil {
		return nil, "", err
	}
	if err := t.Assert(ctx); err != nil {
		return nil, "", err
	}
	js, err := t.Metrics().Contents(ctx)
	if err != nil {
		return nil, "", err
	}
	var mt struct {
		Accuracy float64 `json:"accuracy"`
		F1Macro  float64 `json:"f1_macro"`
		RocAUC   float64 `json:"roc_auc_ovr_macro"`
	}
	if err := json.Unmarshal([]byte(js), &mt); err != nil {
		return nil, "", fmt.Errorf("reading metrics of %s: %w", model, err)
	}
	return t, fmt.Sprintf("accuracy %.4f, macro F1 %.4f, ROC AUC %.4f", mt.Accuracy, mt.F1Macro, mt.RocAUC), nil
}

// toolchains starts the Python and Go images and reports their versions.
func (m *Ferry) toolchains(ctx context.Context) (string, error) {
	py, err := m.Python()
	if err != nil {
		return "", err
	}
	pyv, err := py.WithExec([]string{"python", "--version"}).Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("starting the Python image: %w", err)
	}
	golang, err := m.Golang()
	if err != nil {
		return "", err
	}
	gov, err := golang.WithExec([]string{"go", "version"}).Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("starting the Go image: %w", err)
	}
	return strings.TrimSpace(pyv) + ", " + strings.TrimSpace(gov), nil
}
