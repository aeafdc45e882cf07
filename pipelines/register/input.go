package register

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"unicode"

	"github.com/ferryml/ferry/pipelines/lineage"
)

// DefaultAlias is the alias Register points at the version it registers.
const DefaultAlias = "challenger"

// Input is what Register registers.
type Input struct {
	Experiment string         // MLflow experiment of the run; created when missing
	Model      string         // registered model name; created when missing
	Output     fs.FS          // training output folder (os.DirFS(dir)): model/, metrics.json, predictions.csv
	Lineage    lineage.Record // where the model came from; ModelName defaults to Model
	Alias      string         // alias to point at the version; default DefaultAlias
}

// plan is a checked Input and everything read from it, ready to be written.
type plan struct {
	Input
	record lineage.Record // normalized, ModelName set
	key    string         // record.Key()
	out    *output
}

// prepare checks everything Register will write, before anything is written: a bad input
// leaves MLflow untouched. All problems are reported together.
func prepare(in Input) (*plan, error) {
	if in.Alias == "" {
		in.Alias = DefaultAlias
	}
	if in.Lineage.ModelName == "" {
		in.Lineage.ModelName = in.Model
	}
	p := &plan{Input: in}
	var errs []error
	errs = append(errs, checkExperiment(in.Experiment), checkModelName(in.Model), checkAlias(in.Alias))
	var err error
	if p.record, err = lineage.New(in.Lineage); err != nil {
		errs = append(errs, err) // each line names its Record field
	}
	p.key = p.record.Key()
	if p.out, err = readOutput(in.Output); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("checking what to register (nothing was written to MLflow):\n%w", err)
	}
	return p, nil
}

// Name rules from mlflow/utils/validation.py (MLflow 3.17).
const maxExperimentName = 500

func checkExperiment(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("experiment name (Input.Experiment) is empty: name the MLflow experiment, e.g. ferry-diamonds")
	}
	if len(name) > maxExperimentName {
		return fmt.Errorf("experiment name (Input.Experiment) is %d bytes, over MLflow's %d: shorten it", len(name), maxExperimentName)
	}
	return nil
}

// checkModelName applies _validate_model_name: not blank, no "/" or ":", and not a name
// that reads as a relative path ("." or starting with "..").
func checkModelName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("model name (Input.Model) is empty: name the registered model, e.g. diamonds")
	case strings.ContainsAny(name, "/:"):
		return fmt.Errorf("model name (Input.Model) %q contains %q: MLflow model names cannot contain / or :; use - instead", name, name[strings.IndexAny(name, "/:")])
	case name == "." || strings.HasPrefix(name, ".."):
		return fmt.Errorf("model name (Input.Model) %q reads as a relative path, which MLflow refuses: start it with a letter", name)
	}
	return nil
}

var reservedVersionAlias = regexp.MustCompile(`^[vV][0-9]+$`)

// checkAlias applies _validate_model_alias_name and _validate_model_alias_name_reserved.
func checkAlias(alias string) error {
	for _, r := range alias {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '_' && r != '-' {
			return fmt.Errorf("alias %q contains %q: MLflow aliases hold only letters, digits, _ and -", alias, r)
		}
	}
	switch {
	case alias == "":
		return errors.New("alias is empty: use challenger or champion")
	case len(alias) > 255:
		return fmt.Errorf("alias %q is over MLflow's 255 bytes: shorten it", alias)
	case strings.EqualFold(alias, "latest") || reservedVersionAlias.MatchString(alias):
		return fmt.Errorf("alias %q is reserved by MLflow (latest, v<number>): use challenger or champion", alias)
	}
	return nil
}
