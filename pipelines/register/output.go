package register

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/ferryml/ferry/pipelines/lineage"
)

// The training output folder, as models/<name>/train.py --out writes it. Its files are
// uploaded to the run under the same paths.
const (
	modelDir        = "model"                     // MLServer-loadable model
	modelSettings   = "model/model-settings.json" // required
	metricsFile     = "metrics.json"              // required
	predictionsFile = "predictions.csv"           // optional: per-example predictions
)

// artifact is one file of the output folder.
type artifact struct {
	path   string // slash-separated, the same in the folder and below the run's artifact root
	size   int64
	sha256 string
}

// output is a checked training output folder.
type output struct {
	fsys      fs.FS
	artifacts []artifact // model/** then metrics.json and predictions.csv
	digest    string     // lineage.Combine of the artifacts: names what the run must hold
	data      *runData   // from metrics.json
}

// readOutput checks the folder and reads everything Register will log or upload, so that
// a bad folder fails before anything is written to MLflow.
func readOutput(fsys fs.FS) (*output, error) {
	if fsys == nil {
		return nil, errors.New("training output (Input.Output) is nil: pass os.DirFS(dir) for the folder given to train.py --out")
	}
	var errs []error
	if fi, err := fs.Stat(fsys, modelDir); err != nil || !fi.IsDir() {
		errs = append(errs, fmt.Errorf("%s/ is missing: pass the folder given to train.py --out, which holds model/, metrics.json and predictions.csv", modelDir))
	} else {
		errs = append(errs, checkSettings(fsys))
	}
	o := &output{fsys: fsys}
	raw, err := fs.ReadFile(fsys, metricsFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err = fmt.Errorf("%s is missing: train.py writes it next to model/", metricsFile)
	case err != nil:
		err = fmt.Errorf("reading %s: %w", metricsFile, err)
	default:
		o.data, err = readMetrics(raw)
	}
	if err := errors.Join(append(errs, err)...); err != nil {
		return nil, prefixLines("training output: ", err)
	}
	var paths []string
	err = fs.WalkDir(fsys, modelDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("training output: listing %s/: %w", modelDir, err)
	}
	paths = append(paths, metricsFile)
	if _, err := fs.Stat(fsys, predictionsFile); err == nil {
		paths = append(paths, predictionsFile)
	}
	var files []lineage.FileHash
	for _, p := range paths {
		a, err := describe(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("training output: %w", err)
		}
		o.artifacts = append(o.artifacts, a)
		files = append(files, lineage.FileHash{Name: a.path, SHA256: a.sha256})
	}
	o.digest = lineage.Combine(files)
	return o, nil
}

// checkSettings checks that model-settings.json is a JSON object and that a relative
// parameters.uri names a file in model/, as MLServer will look for it there.
func checkSettings(fsys fs.FS) error {
	raw, err := fs.ReadFile(fsys, modelSettings)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is missing: MLServer needs it to load the model; train.py writes it", modelSettings)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", modelSettings, err)
	}
	var settings struct {
		Parameters struct {
			URI string `json:"uri"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(raw, &settings); err != nil {
		return fmt.Errorf("%s is not a valid model settings JSON object: %w", modelSettings, err)
	}
	uri := settings.Parameters.URI
	if u, err := url.Parse(uri); uri == "" || err != nil || u.Scheme != "" || path.IsAbs(uri) {
		return nil // no URI, or one outside the folder: nothing to check here
	}
	target := path.Join(modelDir, uri)
	if !strings.HasPrefix(target, modelDir+"/") {
		return fmt.Errorf("%s: parameters.uri %q points outside %s/: keep the model file in %s/", modelSettings, uri, modelDir, modelDir)
	}
	if fi, err := fs.Stat(fsys, target); err != nil || fi.IsDir() {
		return fmt.Errorf("%s: parameters.uri %q names %s, which is missing: write the model file there", modelSettings, uri, target)
	}
	return nil
}

// describe returns the size and SHA-256 of a regular file (or a link to one).
func describe(fsys fs.FS, p string) (artifact, error) {
	fi, err := fs.Stat(fsys, p) // follows a symbolic link
	if err != nil {
		return artifact{}, err
	}
	if !fi.Mode().IsRegular() {
		return artifact{}, fmt.Errorf("%s is not a regular file (%s): copy the file in its place", p, fi.Mode().Type())
	}
	f, err := fsys.Open(p)
	if err != nil {
		return artifact{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return artifact{}, fmt.Errorf("reading %s: %w", p, err)
	}
	return artifact{path: p, size: n, sha256: hex.EncodeToString(h.Sum(nil))}, nil
}

// prefixLines puts prefix before every error that err joins.
func prefixLines(prefix string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var errs []error
		for _, e := range j.Unwrap() {
			errs = append(errs, fmt.Errorf("%s%w", prefix, e))
		}
		return errors.Join(errs...)
	}
	return fmt.Errorf("%s%w", prefix, err)
}

// CheckOutput checks a training output folder the way Register does before
// writing anything (model/ with model-settings.json, a readable metrics.json
// whose fields MLflow accepts), and that each headline score it holds is a
// number in [0, 1]. It names every problem found.
func CheckOutput(fsys fs.FS) error {
	o, err := readOutput(fsys)
	if err != nil {
		return err
	}
	raw, err := fs.ReadFile(o.fsys, metricsFile)
	if err != nil {
		return fmt.Errorf("training output: reading %s: %w", metricsFile, err)
	}
	var m map[string]any
	if err := json.Unmarshal(pythonLiterals(raw), &m); err != nil {
		return fmt.Errorf("training output: %s: %w", metricsFile, err)
	}
	var errs []error
	for _, k := range Scores {
		v, ok := m[k].(float64)
		if !ok || v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("training output: %s: %s = %v, want a number in [0, 1]", metricsFile, k, m[k]))
		}
	}
	return errors.Join(errs...)
}

// Scores are the headline fields of metrics.json that CheckOutput requires.
var Scores = []string{"accuracy", "f1_macro", "roc_auc_ovr_macro"}
