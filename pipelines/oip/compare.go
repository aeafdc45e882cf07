package oip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
)

// maxDiffs bounds how many differing elements Compare lists before it only counts.
const maxDiffs = 10

// Compare checks got against want: every output want has must be in got (by name), with
// want's datatype and shape where want gives them, and the same data element by element
// in row-major order: numbers within tol (absolute difference), strings and booleans
// exactly. Outputs want does not name are not checked; want's ModelName and ModelVersion
// are checked when set. The error names each output, flat index and both values that
// differ (up to 10 per output, then a count).
func Compare(got, want InferenceResponse, tol float64) error {
	if tol < 0 || math.IsNaN(tol) {
		return fmt.Errorf("comparing outputs: tolerance %v must be a number ≥ 0", tol)
	}
	var errs []error
	if want.ModelName != "" && got.ModelName != want.ModelName {
		errs = append(errs, fmt.Errorf("model_name = %q, want %q", got.ModelName, want.ModelName))
	}
	if want.ModelVersion != "" && got.ModelVersion != want.ModelVersion {
		errs = append(errs, fmt.Errorf("model_version = %q, want %q", got.ModelVersion, want.ModelVersion))
	}
	for _, w := range want.Outputs {
		g, ok := got.Output(w.Name)
		if !ok {
			errs = append(errs, fmt.Errorf("output %q is missing (the response has %v)", w.Name, outputNames(got)))
			continue
		}
		if err := compareOutput(g, w, tol); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func outputNames(r InferenceResponse) []string {
	names := make([]string, 0, len(r.Outputs))
	for _, o := range r.Outputs {
		names = append(names, o.Name)
	}
	return names
}

func compareOutput(g, w ResponseOutput, tol float64) error {
	if w.Datatype != "" && g.Datatype != w.Datatype {
		return fmt.Errorf("output %q: datatype %s, want %s", w.Name, g.Datatype, w.Datatype)
	}
	if w.Shape != nil && !slices.Equal(g.Shape, w.Shape) {
		return fmt.Errorf("output %q: shape %v, want %v", w.Name, g.Shape, w.Shape)
	}
	gv, wv := g.Values(), w.Values()
	if len(gv) != len(wv) {
		return fmt.Errorf("output %q: %d elements, want %d", w.Name, len(gv), len(wv))
	}
	var errs []error
	n := 0
	for i := range wv {
		if msg := diff(gv[i], wv[i], tol); msg != "" {
			if n < maxDiffs {
				errs = append(errs, fmt.Errorf("output %q[%d]: %s", w.Name, i, msg))
			}
			n++
		}
	}
	if n > maxDiffs {
		errs = append(errs, fmt.Errorf("output %q: %d more elements differ", w.Name, n-maxDiffs))
	}
	return errors.Join(errs...)
}

// diff describes how g differs from w, or returns "" when they match.
func diff(g, w any, tol float64) string {
	if wf, ok := number(w); ok {
		gf, ok := number(g)
		if !ok {
			return fmt.Sprintf("got %#v, want the number %v", g, w)
		}
		if gi, wi, ok := integers(g, w); ok && tol == 0 {
			if gi != wi {
				return fmt.Sprintf("got %d, want %d", gi, wi)
			}
			return ""
		}
		if gf == wf || math.IsNaN(gf) && math.IsNaN(wf) {
			return ""
		}
		if d := math.Abs(gf - wf); !(d <= tol) {
			return fmt.Sprintf("got %v, want %v (difference %.3g > tolerance %g)", g, w, d, tol)
		}
		return ""
	}
	if reflect.DeepEqual(g, w) {
		return ""
	}
	return fmt.Sprintf("got %#v, want %#v", g, w)
}

// number returns v as a float64 if it is a JSON or Go number.
func number(v any) (float64, bool) {
	if n, ok := v.(json.Number); ok {
		f, err := n.Float64()
		return f, err == nil
	}
	switch r := reflect.ValueOf(v); r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(r.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(r.Uint()), true
	case reflect.Float32, reflect.Float64:
		return r.Float(), true
	}
	return 0, false
}

// integers returns g and w as int64 when both are integers, for exact comparison of
// INT64 values past 2^53.
func integers(g, w any) (int64, int64, bool) {
	gi, ok1 := integer(g)
	wi, ok2 := integer(w)
	return gi, wi, ok1 && ok2
}

func integer(v any) (int64, bool) {
	if n, ok := v.(json.Number); ok {
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	}
	switch r := reflect.ValueOf(v); r.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return r.Int(), true
	}
	return 0, false
}

// ParseExpected reads an expected answer to req in one of two forms: an inference
// response (a JSON object with "outputs"), or an object whose keys name outputs and hold
// their expected data, as models/diamonds/testdata/infer-expected.json does
// ({"predict": ["Premium", ...], "rows": [...], ...}). In the second form only keys that
// name an output req asks for are taken (the others describe the data), datatype and
// shape are not checked, and "model_name" is taken when it is a string.
func ParseExpected(b []byte, req InferenceRequest) (InferenceResponse, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return InferenceResponse{}, fmt.Errorf("parsing the expected answer: want a JSON object: %w", err)
	}
	var want InferenceResponse
	if _, ok := doc["outputs"]; ok {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			return want, fmt.Errorf("parsing the expected answer as an inference response: %w", err)
		}
		return want, nil
	}
	if len(req.Outputs) == 0 {
		return want, errors.New(`parsing the expected answer: it has no "outputs" and names outputs by key, so the request must list the outputs it asks for ("outputs": [{"name": ...}])`)
	}
	if name, ok := doc["model_name"].(string); ok {
		want.ModelName = name
	}
	for _, o := range req.Outputs {
		if data, ok := doc[o.Name]; ok {
			want.Outputs = append(want.Outputs, ResponseOutput{Name: o.Name, Data: data})
		}
	}
	if len(want.Outputs) == 0 {
		return want, fmt.Errorf("parsing the expected answer: no key names an output the request asks for (%v); add one, e.g. %q", requestedNames(req), req.Outputs[0].Name)
	}
	return want, nil
}

func requestedNames(req InferenceRequest) []string {
	names := make([]string, 0, len(req.Outputs))
	for _, o := range req.Outputs {
		names = append(names, o.Name)
	}
	return names
}
