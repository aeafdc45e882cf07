package register

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadMetricsFixture(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "output", "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := readMetrics(raw)
	if err != nil {
		t.Fatalf("readMetrics(fixture) = %v", err)
	}
	for k, want := range map[string]float64{
		"accuracy": 0.7812, "roc_auc_ovr_macro": 0.9433, "per_class.Very Good.support": 241,
		"class_counts.test.Fair": 32, "data.rows": 1365, "seed": 42, "train_seconds": 2.481,
	} {
		if got, ok := d.metrics[k]; !ok || got != want {
			t.Errorf("readMetrics(fixture).metrics[%q] = %v, %v, want %v", k, got, ok, want)
		}
	}
	for k, want := range map[string]string{
		"model": "candidate", "data.sha256": "1f0c6a3e9b2d4c5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c",
		"params.learning_rate": "0.1", "params.max_iter": "300", "params.early_stopping": "true",
		"classes": `["Fair","Very Good"]`, "versions.scikit-learn": "1.9.1",
	} {
		if got := d.params[k]; got != want {
			t.Errorf("readMetrics(fixture).params[%q] = %q, want %q", k, got, want)
		}
	}
	if _, ok := d.params["params.max_depth"]; ok {
		t.Errorf("readMetrics(fixture) logged null params.max_depth, want it skipped")
	}
	if _, ok := d.metrics["params.max_iter"]; ok {
		t.Errorf("readMetrics(fixture) logged params.max_iter as a metric, want a param")
	}
}

func TestReadMetrics(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		metrics  map[string]float64
		params   map[string]string
		err      string
	}{
		{name: "python non-finite", in: `{"a": NaN, "b": -Infinity, "c": Infinity, "s": "NaN stays a string", "params": {"tol": NaN}}`,
			metrics: map[string]float64{"a": math.NaN(), "b": math.Inf(-1), "c": math.Inf(1)},
			params:  map[string]string{"s": "NaN stays a string", "params.tol": "NaN"}},
		{name: "escaped quote before a literal", in: `{"s": "x\"NaN", "n": 1}`, metrics: map[string]float64{"n": 1}, params: map[string]string{"s": `x"NaN`}},
		{name: "odd characters", in: `{"roc-auc (ovr)": 0.9, "f1/macro": 0.8, "a b:c": 1}`,
			metrics: map[string]float64{"roc-auc _ovr_": 0.9, "f1/macro": 0.8, "a b:c": 1}},
		{name: "collision", in: `{"a(b": 1, "a)b": 2}`, err: `both become MLflow key "a_b"`},
		{name: "path-like key", in: `{"a/": 1}`, err: `field "a/" reads as a file path`},
		{name: "long key", in: `{"` + strings.Repeat("k", 251) + `": 1}`, err: "over MLflow's 250"},
		{name: "long param", in: `{"n": 1, "s": "` + strings.Repeat("x", 6001) + `"}`, err: `field "s" is 6001 bytes`},
		{name: "empty member", in: `{"a": {"": 1}}`, err: "empty name"},
		{name: "not an object", in: `[1, 2]`, err: "not a JSON object"},
		{name: "no numbers", in: `{"model": "x"}`, err: "no numeric field"},
		{name: "invalid", in: `{"a": 1,}`, err: "not valid JSON"},
		{name: "two values", in: `{"a": 1} {"b": 2}`, err: "more than one JSON value"},
		{name: "huge number", in: `{"a": 1e999}`, metrics: map[string]float64{"a": math.Inf(1)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := readMetrics([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("readMetrics(%s) = %v, want an error with %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("readMetrics(%s) = %v", tt.in, err)
			}
			if len(d.metrics) != len(tt.metrics) || len(d.params) != len(tt.params) {
				t.Errorf("readMetrics(%s) = %v, %v, want %v, %v", tt.in, d.metrics, d.params, tt.metrics, tt.params)
			}
			for k, want := range tt.metrics {
				got, ok := d.metrics[k]
				if !ok || (got != want && !(math.IsNaN(got) && math.IsNaN(want))) {
					t.Errorf("readMetrics(%s).metrics[%q] = %v, %v, want %v", tt.in, k, got, ok, want)
				}
			}
			for k, want := range tt.params {
				if got := d.params[k]; got != want {
					t.Errorf("readMetrics(%s).params[%q] = %q, want %q", tt.in, k, got, want)
				}
			}
		})
	}
}

func TestReadMetricsArrays(t *testing.T) {
	d, err := readMetrics([]byte(`{"n": 1, "a": [NaN, 1, "x"]}`))
	if err != nil || d.params["a"] != `["NaN",1,"x"]` {
		t.Errorf(`readMetrics(array with NaN).params["a"] = %q, %v, want ["NaN",1,"x"]`, d.params["a"], err)
	}
	_, err = readMetrics([]byte("{\n\"a\": 1,\n\"b\": }"))
	if err == nil || !strings.Contains(err.Error(), "(line 3)") {
		t.Errorf("readMetrics(error on line 3) = %v, want it to name line 3", err)
	}
}
