package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// models are the kinds Train knows, as models/diamonds/train.py does.
var models = []string{"baseline", "candidate"}

// Train trains a model on the reference set and evaluates it on a held-out
// split, in the pinned Python image with the locked requirements. The same
// inputs give the same model and metrics, so a second call is a cache hit.
func (m *Ferry) Train(
	// Which model: baseline (logistic regression) or candidate (gradient
	// boosting).
	// +default="candidate"
	model string,
	// Folder with the training set (reference.csv) and its schema.yaml.
	// +defaultPath="/models/data"
	data *dagger.Directory,
	// Seed of the split and the model.
	// +default=42
	seed int,
) (*Training, error) {
	if !contains(models, model) {
		return nil, fmt.Errorf("training: unknown model %q: use one of %s", model, strings.Join(models, ", "))
	}
	image, err := m.imageRef("python")
	if err != nil {
		return nil, err
	}
	ctr, err := m.trainer("train.lock")
	if err != nil {
		return nil, err
	}
	// Only the files training reads: editing a README or a new batch does
	// not invalidate the cached result.
	in := dag.Directory().
		WithFile("reference.csv", data.File("reference.csv")).
		WithFile("schema.yaml", data.File("schema.yaml"))
	out := ctr.
		WithDirectory("/data", in).
		WithExec([]string{"python", "train.py", "--model", model,
			"--data", "/data/reference.csv", "--schema", "/data/schema.yaml",
			"--seed", fmt.Sprint(seed), "--out", "/out"}).
		Directory("/out")
	return &Training{Model: model, Artifacts: out, Ferry: m, Data: in, TrainingImage: image,
		Lock: m.Source.File("models/requirements/train.lock")}, nil
}

// TestModels runs the models' pytest suite (preprocessing, training
// determinism, the locks) in the training image.
// +check
func (m *Ferry) TestModels(ctx context.Context) (string, error) {
	ctr, err := m.trainer("test.lock")
	if err != nil {
		return "", err
	}
	return ctr.
		WithDirectory("/work/models", m.Source.Directory("models")).
		WithWorkdir("/work/models").
		WithExec([]string{"python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "diamonds", "requirements"}).
		Stdout(ctx)
}

// trainer is the pinned Python image with one of the locked requirement
// sets installed and the training code in its working directory.
func (m *Ferry) trainer(lock string) (*dagger.Container, error) {
	py, err := m.Python()
	if err != nil {
		return nil, err
	}
	code := m.Source.Directory("models/diamonds")
	return py.
		WithFile("/tmp/requirements.lock", m.Source.File("models/requirements/"+lock)).
		WithExec([]string{"pip", "install", "--require-hashes", "--only-binary=:all:", "-r", "/tmp/requirements.lock"}).
		WithDirectory("/work/models/diamonds", code, dagger.ContainerWithDirectoryOpts{Include: []string{"*.py"}}).
		WithWorkdir("/work/models/diamonds"), nil
}

// Training is a trained model with its evaluation.
type Training struct {
	// Which model was trained.
	Model string
	// The output folder: model/ (model.joblib and model-settings.json, which
	// MLServer's scikit-learn runtime loads), metrics.json, predictions.csv.
	Artifacts *dagger.Directory

	// What the model came from, for its lineage.
	// +private
	Ferry *Ferry
	// +private
	Data *dagger.Directory
	// +private
	TrainingImage string
	// +private
	Lock *dagger.File
}

// Metrics returns metrics.json: accuracy, F1, ROC AUC, log loss, the data
// hash, the parameters and the library versions.
func (t *Training) Metrics() *dagger.File { return t.Artifacts.File("metrics.json") }

// Assert checks that training produced a loadable model directory and
// sane metrics (pipelines/register.CheckOutput, the check Register makes
// before writing to MLflow); it fails naming what is missing or out of range.
func (t *Training) Assert(ctx context.Context) error {
	box, err := t.Ferry.toolbox()
	if err != nil {
		return err
	}
	_, err = box.
		WithDirectory("/output", t.Artifacts).
		WithExec([]string{"ferry", "train", "check", "--output", "/output"}).
		Sync(ctx)
	if err != nil {
		return fmt.Errorf("training %s: %w", t.Model, err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
