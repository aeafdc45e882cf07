package mlservertest

import (
	"encoding/json"
	"fmt"
	"github.com/ferryml/ferry/pipelines/pyvenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/cache"
)

// The trainer's inputs, relative to the repository root: a change to any of them trains
// the model again.
var trainInputs = []string{
	"models/diamonds/train.py",
	"models/diamonds/preprocess.py",
	"models/data/reference.csv",
	"models/data/schema.yaml",
	"models/requirements/train.lock",
}

// Model describes a trained model folder as models/diamonds/train.py --out writes it.
type Model struct {
	Dir     string // the --out folder: model/, metrics.json, predictions.csv
	Name    string // model-settings.json name ("diamonds")
	Version string // model-settings.json parameters.version, e.g. "candidate-a64fcd985ed6"
}

// ModelDir is the folder MLServer loads: it holds model-settings.json and model.joblib.
func (m Model) ModelDir() string { return filepath.Join(m.Dir, "model") }

// TrainedModel returns a diamonds model of the given kind ("baseline" or "candidate"),
// trained once by models/diamonds/train.py in a venv built from train.lock and kept in the
// cache, keyed by the trainer's inputs. The folder is shared: do not write into it.
func TrainedModel(t testing.TB, kind string) Model {
	t.Helper()
	m, err := trainedModel(kind)
	if err != nil {
		fail(t, err)
	}
	return m
}

func trainedModel(kind string) (Model, error) {
	if kind != "baseline" && kind != "candidate" {
		return Model{}, fmt.Errorf("training the diamonds model: kind %q is not baseline or candidate", kind)
	}
	root, err := RepoRoot()
	if err != nil {
		return Model{}, err
	}
	parts := [][]byte{[]byte(kind)}
	for _, rel := range trainInputs {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			return Model{}, fmt.Errorf("training the diamonds model: %w", err)
		}
		parts = append(parts, b)
	}
	dir, err := cache.Dir()
	if err != nil {
		return Model{}, err
	}
	base := filepath.Join(dir, "models")
	link := filepath.Join(base, "diamonds-"+kind+"-"+shortHash(parts...))
	if !pyvenv.Complete(link) {
		if err := train(root, base, link, kind, parts[len(parts)-1]); err != nil {
			return Model{}, err
		}
	}
	return readModel(link)
}

// train runs train.py into a fresh folder under base and publishes it as link.
func train(root, base, link, kind string, trainLock []byte) error {
	venv, err := ensureVenv("diamonds-train", trainLock)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return fmt.Errorf("creating model cache: %w", err)
	}
	unlock, err := lockPath(link + ".lock")
	if err != nil {
		return fmt.Errorf("locking model cache: %w", err)
	}
	defer unlock()
	if pyvenv.Complete(link) {
		return nil
	}
	stale, _ := filepath.Glob(link + ".d-*")
	for _, d := range stale {
		os.RemoveAll(d)
	}
	out, err := os.MkdirTemp(base, filepath.Base(link)+".d-")
	if err == nil {
		err = os.Chmod(out, 0o755)
	}
	if err != nil {
		return fmt.Errorf("training the diamonds model: %w", err)
	}
	logPath := filepath.Join(out, "train.log")
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("training the diamonds model: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(venv, "bin", "python"), filepath.Join(root, "models", "diamonds", "train.py"),
		"--model", kind, "--out", out)
	cmd.Dir, cmd.Stdout, cmd.Stderr = out, log, log
	start := time.Now()
	if err := cmd.Run(); err != nil {
		os.RemoveAll(out)
		return fmt.Errorf("training the diamonds model (%s): %w\n%s", strings.Join(cmd.Args, " "), err, pyvenv.Tail(logPath, 20))
	}
	fmt.Fprintf(log, "trained in %s\n", time.Since(start).Round(time.Millisecond))
	if err := os.WriteFile(filepath.Join(out, ".ferry-complete"), []byte(kind+"\n"), 0o644); err != nil {
		return fmt.Errorf("training the diamonds model: %w", err)
	}
	return publish(filepath.Base(out), link)
}

// readModel reads the name and version MLServer will serve from model-settings.json.
func readModel(dir string) (Model, error) {
	b, err := os.ReadFile(filepath.Join(dir, "model", "model-settings.json"))
	if err != nil {
		return Model{}, fmt.Errorf("reading the trained model: %w", err)
	}
	var s struct {
		Name       string `json:"name"`
		Parameters struct {
			Version string `json:"version"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Model{}, fmt.Errorf("reading %s: %w", filepath.Join(dir, "model", "model-settings.json"), err)
	}
	if s.Name == "" || s.Parameters.Version == "" {
		return Model{}, fmt.Errorf("reading %s: want name and parameters.version, got %q and %q",
			filepath.Join(dir, "model", "model-settings.json"), s.Name, s.Parameters.Version)
	}
	return Model{Dir: dir, Name: s.Name, Version: s.Parameters.Version}, nil
}
