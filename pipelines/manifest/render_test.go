package manifest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// manifestsDir is the repository's manifests folder.
const manifestsDir = "../../manifests"

// fakeImage is what the golden files are rendered with: a digest no registry
// holds (sha256 of "ferry golden"), so a change shows in the files only
// when the manifests change.
const fakeImage = "registry.example.com/ferry/diamonds@sha256:c4dc8f7e6b5575ad406015241c2d4aa4a0174a081c6a484024a4d8771d45f2bd"

var envs = []string{"dev", "staging", "production"}

func TestRenderMatchesGolden(t *testing.T) {
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			got, err := Render(context.Background(), manifestsDir, env, fakeImage)
			if err != nil {
				t.Fatalf("Render(%s) = %v", env, err)
			}
			golden := filepath.Join("testdata", "golden", env+".yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./pipelines/manifest -run Golden -update to create it)", err)
			}
			if d := lineDiff(string(want), string(got)); d != "" {
				t.Errorf("Render(%s) differs from %s (-want +got; go test ./pipelines/manifest -run Golden -update to accept):\n%s", env, golden, d)
			}
		})
	}
}

func TestEnvs(t *testing.T) {
	got, err := Envs(manifestsDir)
	if err != nil || strings.Join(got, ",") != "dev,production,staging" {
		t.Errorf("Envs(%s) = %v, %v; want [dev production staging]", manifestsDir, got, err)
	}
}
