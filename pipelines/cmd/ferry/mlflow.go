package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/pipelines/lineage"
	"github.com/ferryml/ferry/pipelines/mlflow"
	"github.com/ferryml/ferry/pipelines/register"
)

// stringsFlag collects a repeated flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// mlflowRegister registers a training output with its lineage
// (register.Register) and writes the result as JSON to --result.
// Credentials come from the environment: FERRY_MLFLOW_TOKEN (bearer), or
// FERRY_MLFLOW_USERNAME and FERRY_MLFLOW_PASSWORD (basic).
func mlflowRegister(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry mlflow register", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tracking := fs.String("tracking-url", "", "MLflow tracking server URL")
	experiment := fs.String("experiment", "ferry", "MLflow experiment")
	model := fs.String("model", "", "registered model name")
	output := fs.String("output", "", "training output folder: model/, metrics.json, predictions.csv")
	alias := fs.String("alias", register.DefaultAlias, "alias to point at the version")
	result := fs.String("result", "", "file to write the result to, as JSON")
	var rec lineage.Record
	kind := fs.String("kind", "", "model kind: baseline or candidate")
	fs.StringVar(&rec.GitSHA, "git-sha", "", "commit the model was trained from")
	fs.StringVar(&rec.Branch, "branch", "", "branch of that commit")
	fs.StringVar(&rec.RepositoryURL, "repository", "", "repository URL (credentials are stripped)")
	fs.StringVar(&rec.CIRunURL, "ci-run-url", "", "URL of the CI run")
	fs.StringVar(&rec.PipelineVersion, "pipeline-version", "", "version of the pipeline")
	fs.StringVar(&rec.TrainingImageDigest, "training-image", "", "digest of the training image")
	requirements := fs.String("requirements", "", "requirements lock file training installed")
	var data stringsFlag
	fs.Var(&data, "data", "a data file training read (repeat for each)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: ferry mlflow register: %v", errUsage, err)
	}
	for name, v := range map[string]string{"tracking-url": *tracking, "model": *model, "output": *output, "requirements": *requirements} {
		if v == "" {
			return fmt.Errorf("%w: ferry mlflow register: --%s is required", errUsage, name)
		}
	}
	if len(data) == 0 {
		return fmt.Errorf("%w: ferry mlflow register: give each data file training read with --data", errUsage)
	}
	rec.ModelKind = lineage.Kind(*kind)
	var err error
	if rec.DataFiles, err = lineage.HashFiles(data...); err != nil {
		return fmt.Errorf("hashing the training data: %w", err)
	}
	if rec.RequirementsHash, err = lineage.HashFile(*requirements); err != nil {
		return fmt.Errorf("hashing the requirements: %w", err)
	}
	var opts []mlflow.Option
	if tok := os.Getenv("FERRY_MLFLOW_TOKEN"); tok != "" {
		opts = append(opts, mlflow.WithBearerToken(tok))
	} else if user := os.Getenv("FERRY_MLFLOW_USERNAME"); user != "" {
		opts = append(opts, mlflow.WithBasicAuth(user, os.Getenv("FERRY_MLFLOW_PASSWORD")))
	}
	client, err := mlflow.New(*tracking, opts...)
	if err != nil {
		return err
	}
	res, err := register.Register(ctx, client, register.Input{
		Experiment: *experiment, Model: *model, Output: os.DirFS(*output), Lineage: rec, Alias: *alias,
	})
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if *result != "" {
		if err := os.MkdirAll(filepath.Dir(*result), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(*result, append(js, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing the result: %w", err)
		}
	}
	how := "registered"
	if res.VersionReused {
		how = "found already registered"
	}
	fmt.Fprintf(stdout, "%s %s version %s (run %s), alias %s\n", how, *model, res.Version, res.RunID, res.Alias)
	return nil
}
