package register

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// How metrics.json becomes run data, whatever its exact field names:
//
//   - nested objects are flattened, keys joined with dots: per_class.Fair.f1;
//   - numbers are metrics, except below the top-level "params" object, whose leaves are
//     the estimator's hyperparameters and become params (as written: 0.1, 300);
//   - strings, booleans and arrays (as compact JSON) are params; nulls are skipped;
//   - NaN, Infinity and -Infinity, which Python's json module writes for non-finite floats,
//     are read as numbers although strict JSON has no such literals;
//   - characters MLflow refuses in a key become "_"; two fields that then collide, a key
//     over 250 bytes or a param value over 6000 bytes are errors naming the field.

const (
	paramsField    = "params"
	maxKeyLength   = 250  // MAX_ENTITY_KEY_LENGTH
	maxParamLength = 6000 // MAX_PARAM_VAL_LENGTH
	maxTagValue    = 8000 // MAX_TAG_VAL_LENGTH
)

// runData is what metrics.json logs on a run.
type runData struct {
	metrics map[string]float64
	params  map[string]string
}

// readMetrics parses and flattens metrics.json; errors name the file and the field.
func readMetrics(b []byte) (*runData, error) {
	text := pythonLiterals(b)
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) && len(text) == len(b) { // offsets hold when nothing was rewritten
			err = fmt.Errorf("%w (line %d)", err, 1+bytes.Count(b[:min(int(syn.Offset), len(b))], []byte("\n")))
		}
		return nil, fmt.Errorf("metrics.json is not valid JSON: %w; write it with json.dump", err)
	}
	if dec.More() {
		return nil, errors.New("metrics.json holds more than one JSON value: write one object")
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New(`metrics.json is not a JSON object: write {"accuracy": 0.93, ...}`)
	}
	d := &runData{metrics: map[string]float64{}, params: map[string]string{}}
	fields := map[string]string{} // MLflow key -> metrics.json field, to report collisions
	if err := d.walk("", top, false, fields); err != nil {
		return nil, fmt.Errorf("metrics.json: %w", err)
	}
	if len(d.metrics) == 0 {
		return nil, errors.New(`metrics.json has no numeric field: write the evaluation metrics as numbers, e.g. "accuracy": 0.93`)
	}
	return d, nil
}

func (d *runData) walk(field string, v any, isParam bool, fields map[string]string) error {
	if obj, ok := v.(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if k == "" {
				return fmt.Errorf("field %q has a member with an empty name: name it", field)
			}
			sub := k
			if field != "" {
				sub = field + "." + k
			}
			if err := d.walk(sub, obj[k], isParam || (field == "" && k == paramsField), fields); err != nil {
				return err
			}
		}
		return nil
	}
	if v == nil {
		return nil
	}
	key, err := mlflowKey(field)
	if err != nil {
		return err
	}
	if prev, ok := fields[key]; ok {
		return fmt.Errorf("fields %q and %q both become MLflow key %q: rename one", prev, field, key)
	}
	fields[key] = field
	switch v := v.(type) {
	case json.Number:
		if isParam {
			d.params[key] = v.String()
			return nil
		}
		f, err := strconv.ParseFloat(v.String(), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("field %q: %q is not a number: %w", field, v, err)
		}
		d.metrics[key] = f // ±Inf when out of range, as MLflow would store it
	case string:
		if f, ok := nonFinite(v); ok {
			if isParam {
				d.params[key] = strings.TrimPrefix(v, nonFinitePrefix)
			} else {
				d.metrics[key] = f
			}
			return nil
		}
		return d.param(field, key, v)
	case bool:
		return d.param(field, key, strconv.FormatBool(v))
	default: // an array
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("field %q: %w", field, err)
		}
		return d.param(field, key, strings.ReplaceAll(string(b), `\u0000`+nonFinitePrefix[1:], ""))
	}
	return nil
}

func (d *runData) param(field, key, value string) error {
	if len(value) > maxParamLength {
		return fmt.Errorf("field %q is %d bytes, over MLflow's %d-byte param limit: shorten it or write it to a file of its own", field, len(value), maxParamLength)
	}
	d.params[key] = value
	return nil
}

// mlflowKey turns a flattened field name into a metric or param key MLflow accepts
// (mlflow/utils/validation.py: validate_param_and_metric_name, path_not_unique).
func mlflowKey(field string) (string, error) {
	key := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || strings.ContainsRune("_/.- :", r) {
			return r
		}
		return '_'
	}, field)
	if len(key) > maxKeyLength {
		return "", fmt.Errorf("field %q is a key of %d bytes, over MLflow's %d: shorten the names on its path", field, len(key), maxKeyLength)
	}
	if path.Clean(key) != key || key == "." || strings.HasPrefix(key, "..") || strings.HasPrefix(key, "/") {
		return "", fmt.Errorf("field %q reads as a file path that MLflow refuses as a key (empty segment, \"..\", leading or trailing slash): rename it", field)
	}
	return key, nil
}

// nonFinitePrefix marks a string that pythonLiterals made of a bare NaN or ±Infinity.
const nonFinitePrefix = "\x00ferry-non-finite:"

func nonFinite(s string) (float64, bool) {
	lit, ok := strings.CutPrefix(s, nonFinitePrefix)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(lit, 64)
	return f, err == nil && (math.IsNaN(f) || math.IsInf(f, 0))
}

// pythonLiterals rewrites the bare NaN, Infinity and -Infinity that Python's json module
// writes (outside strings) into marked strings that encoding/json can read.
func pythonLiterals(b []byte) []byte {
	var out []byte
	inString, escaped, last := false, false, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		case c == '"':
			inString = true
			continue
		}
		for _, lit := range []string{"NaN", "Infinity", "-Infinity"} {
			if bytes.HasPrefix(b[i:], []byte(lit)) {
				out = append(out, b[last:i]...)
				out = append(out, `"\u0000`+nonFinitePrefix[1:]+lit+`"`...)
				i += len(lit) - 1
				last = i + 1
				break
			}
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
