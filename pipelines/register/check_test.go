package register

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// fixture returns the test output folder in memory, with changes applied.
func fixture(t *testing.T, change func(fstest.MapFS)) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, p := range []string{"metrics.json", "predictions.csv", "model/model-settings.json", "model/model.joblib"} {
		data, err := os.ReadFile("testdata/output/" + p)
		if err != nil {
			t.Fatal(err)
		}
		fsys[p] = &fstest.MapFile{Data: data}
	}
	if change != nil {
		change(fsys)
	}
	return fsys
}

func TestCheckOutput(t *testing.T) {
	if err := CheckOutput(fixture(t, nil)); err != nil {
		t.Fatalf("CheckOutput(good folder) = %v", err)
	}
	tests := []struct {
		name   string
		change func(fstest.MapFS)
		want   string
	}{
		{"no metrics", func(f fstest.MapFS) { delete(f, "metrics.json") }, "metrics.json is missing"},
		{"no model settings", func(f fstest.MapFS) { delete(f, "model/model-settings.json") }, "model-settings.json"},
		{"no model folder", func(f fstest.MapFS) {
			delete(f, "model/model-settings.json")
			delete(f, "model/model.joblib")
		}, "model/ is missing"},
		{"accuracy out of range", func(f fstest.MapFS) {
			f["metrics.json"] = &fstest.MapFile{Data: []byte(strings.Replace(string(f["metrics.json"].Data), `"accuracy": 0.7812`, `"accuracy": 78.12`, 1))}
		}, "accuracy = 78.12, want a number in [0, 1]"},
		{"score missing", func(f fstest.MapFS) {
			f["metrics.json"] = &fstest.MapFile{Data: []byte(strings.Replace(string(f["metrics.json"].Data), `"roc_auc_ovr_macro"`, `"auc"`, 1))}
		}, "roc_auc_ovr_macro = <nil>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOutput(fixture(t, tt.change))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckOutput() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
