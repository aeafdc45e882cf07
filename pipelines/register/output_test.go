package register

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ferryml/ferry/pipelines/lineage"
)

func TestReadOutputFixture(t *testing.T) {
	out, err := readOutput(os.DirFS(filepath.Join("testdata", "output")))
	if err != nil {
		t.Fatalf("readOutput(fixture) = %v", err)
	}
	var paths []string
	for _, a := range out.artifacts {
		paths = append(paths, a.path)
	}
	want := "model/model-settings.json model/model.joblib metrics.json predictions.csv"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("readOutput(fixture) artifacts = %s, want %s", got, want)
	}
	files, err := lineage.HashDir(os.DirFS(filepath.Join("testdata", "output")))
	if err != nil {
		t.Fatal(err)
	}
	if out.digest != lineage.Combine(files) {
		t.Errorf("readOutput(fixture).digest = %s, want lineage.Combine(HashDir(fixture)) = %s", out.digest, lineage.Combine(files))
	}
}

func TestReadOutputRefuses(t *testing.T) {
	good := func() fstest.MapFS {
		return fstest.MapFS{
			"model/model-settings.json": {Data: []byte(`{"parameters": {"uri": "./model.joblib"}}`)},
			"model/model.joblib":        {Data: []byte("x")},
			"metrics.json":              {Data: []byte(`{"accuracy": 0.9}`)},
		}
	}
	if out, err := readOutput(good()); err != nil || len(out.artifacts) != 3 {
		t.Fatalf("readOutput(good, no predictions.csv) = %v, %v, want 3 artifacts", out, err)
	}
	for _, tt := range []struct {
		name   string
		change func(fstest.MapFS)
		want   []string
	}{
		{"no model folder", func(m fstest.MapFS) { delete(m, "model/model-settings.json"); delete(m, "model/model.joblib") }, []string{"model/ is missing"}},
		{"settings not JSON", func(m fstest.MapFS) { m["model/model-settings.json"].Data = []byte("name: x") }, []string{"model-settings.json is not a valid"}},
		{"uri outside", func(m fstest.MapFS) {
			m["model/model-settings.json"].Data = []byte(`{"parameters": {"uri": "../m.joblib"}}`)
		}, []string{"points outside model/"}},
		{"special file", func(m fstest.MapFS) { m["predictions.csv"] = &fstest.MapFile{Mode: os.ModeNamedPipe} }, []string{"predictions.csv is not a regular file"}},
		{"two problems", func(m fstest.MapFS) { delete(m, "model/model.joblib"); delete(m, "metrics.json") }, []string{"model.joblib, which is missing", "metrics.json is missing"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := good()
			tt.change(m)
			_, err := readOutput(m)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("readOutput() = %v, want an error with %q", err, w)
				}
			}
		})
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct {
		check func(string) error
		name  string
		ok    bool
	}{
		{checkModelName, "diamonds", true},
		{checkModelName, "Diamonds cut v2", true},
		{checkModelName, "", false},
		{checkModelName, "team/diamonds", false},
		{checkModelName, "s3:diamonds", false},
		{checkModelName, "..diamonds", false},
		{checkAlias, "challenger", true},
		{checkAlias, "champion-2", true},
		{checkAlias, "", false},
		{checkAlias, "Latest", false},
		{checkAlias, "V12", false},
		{checkAlias, "prod.eu", false},
		{checkExperiment, "ferry-diamonds", true},
		{checkExperiment, "", false},
		{checkExperiment, strings.Repeat("e", 501), false},
	} {
		if err := tt.check(tt.name); (err == nil) != tt.ok {
			t.Errorf("check(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
