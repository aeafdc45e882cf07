package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// Register logs this training to MLflow with its full lineage (commit,
// data hashes, training image, requirements), uploads its artifacts,
// registers the model version and points the alias at it. The same inputs
// registered again reuse the run and the version: no duplicates.
// Without --tracking-url it uses the embedded MLflow server.
// +cache="never"
func (t *Training) Register(
	ctx context.Context,
	// MLflow tracking server URL. Default: the embedded server (`mlflow`).
	// +optional
	trackingUrl string,
	// Bearer token for the tracking server.
	// +optional
	token *dagger.Secret,
	// User name for basic auth (with --password) instead of a token.
	// +optional
	username string,
	// Password for basic auth.
	// +optional
	password *dagger.Secret,
	// MLflow experiment of the run.
	// +default="ferry"
	experiment string,
	// Registered model name.
	// +default="diamonds"
	name string,
	// Alias to point at the version.
	// +default="challenger"
	alias string,
	// Commit the model was trained from. Default: this repository's HEAD.
	// +optional
	gitSha string,
	// Branch of that commit.
	// +optional
	branch string,
	// Repository URL (credentials in it are dropped).
	// +optional
	repository string,
	// URL of the CI run, e.g. a GitHub Actions run.
	// +optional
	ciRunUrl string,
	// Version of the pipeline.
	// +default="dev"
	pipelineVersion string,
	// The git checkout, read for the commit when --git-sha is not given.
	// +defaultPath="/"
	// +optional
	git *dagger.GitRef,
	// Cache volume of the embedded server's store (with no --tracking-url).
	// +default="ferry-mlflow"
	mlflowStore string,
) (*Registration, error) {
	if gitSha == "" && git != nil {
		sha, err := git.Commit(ctx)
		if err != nil {
			return nil, fmt.Errorf("registering: reading the commit (pass --git-sha): %w", err)
		}
		gitSha = sha
	}
	box, err := t.Ferry.toolbox()
	if err != nil {
		return nil, err
	}
	if trackingUrl == "" {
		svc, err := t.Ferry.Mlflow(mlflowStore)
		if err != nil {
			return nil, err
		}
		box, trackingUrl = box.WithServiceBinding("mlflow", svc), fmt.Sprintf("http://mlflow:%d", mlflowPort)
	}
	switch {
	case token != nil && password != nil:
		return nil, fmt.Errorf("registering: give --token or --username/--password, not both")
	case password != nil && username == "":
		return nil, fmt.Errorf("registering: --password needs --username")
	case token != nil:
		box = box.WithSecretVariable("FERRY_MLFLOW_TOKEN", token)
	case password != nil:
		box = box.WithEnvVariable("FERRY_MLFLOW_USERNAME", username).
			WithSecretVariable("FERRY_MLFLOW_PASSWORD", password)
	}
	_, digest, _ := strings.Cut(t.TrainingImage, "@")
	args := []string{"ferry", "mlflow", "register",
		"--tracking-url", trackingUrl, "--experiment", experiment, "--model", name, "--alias", alias,
		"--output", "/output", "--kind", t.Model, "--result", "/result/registration.json",
		"--git-sha", gitSha, "--branch", branch, "--repository", repository, "--ci-run-url", ciRunUrl,
		"--pipeline-version", pipelineVersion, "--training-image", digest,
		"--requirements", "/inputs/train.lock", "--data", "/inputs/data/reference.csv"}
	out, err := box.
		WithDirectory("/output", t.Artifacts).
		WithDirectory("/inputs/data", t.Data).
		WithFile("/inputs/train.lock", t.Lock).
		// A side effect: never answer from the cache of an earlier call.
		WithEnvVariable("FERRY_CALL", time.Now().Format(time.RFC3339Nano)).
		WithExec(args).
		File("/result/registration.json").
		Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("registering %s in MLflow: %w", name, err)
	}
	var r Registration
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		return nil, fmt.Errorf("registering %s: reading the result: %w", name, err)
	}
	r.Model = name
	return &r, nil
}

// Registration is a model version registered in MLflow.
type Registration struct {
	// Registered model name.
	Model string
	// Version number.
	Version string
	// Run holding the metrics and artifacts.
	RunID string
	// The run's page in the MLflow UI.
	RunLink string
	// The version's source (artifact URI of the model folder).
	ModelURI string
	// Alias now pointing at the version.
	Alias string
	// Whether the version existed already (same inputs registered before).
	VersionReused bool
}

// Json returns the registration as one JSON object. Never cached: its
// receiver comes from a side effect, and the same call chain run again must
// report what that run did.
// +cache="never"
func (r *Registration) Json() (string, error) {
	b, err := json.Marshal(r)
	return string(b), err
}
