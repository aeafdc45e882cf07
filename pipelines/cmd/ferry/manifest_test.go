package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/manifest"
)

const manifestsDir = "../../../manifests"

var testImage = "registry.example.com/ferry/diamonds@sha256:" + strings.Repeat("ab", 32)

func TestManifestRenderWritesTheOverlay(t *testing.T) {
	for _, env := range []string{"dev", "staging", "production"} {
		t.Run(env, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "rendered") // created by the command
			var stdout bytes.Buffer
			err := manifestRender(context.Background(), []string{"--manifests", manifestsDir, "--env", env, "--image", testImage, "--out", out}, &stdout)
			if err != nil {
				t.Fatalf("manifestRender(%s) = %v", env, err)
			}
			got, err := os.ReadFile(filepath.Join(out, env+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := manifest.Render(context.Background(), manifestsDir, env, testImage)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s.yaml differs from manifest.Render(%s) (err %v)", env, env, err)
			}
			if !strings.Contains(string(got), "image: "+testImage) || !strings.Contains(string(got), "namespace: ferry-"+env) {
				t.Errorf("%s.yaml lacks the image %s or namespace ferry-%s", env, testImage, env)
			}
			if line := stdout.String(); !strings.HasPrefix(line, "rendered "+env+": 7 objects") || strings.Count(line, "\n") != 1 {
				t.Errorf("stdout = %q, want one line: rendered %s: 7 objects, …", line, env)
			}
		})
	}
}

func TestManifestRenderRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		usage bool   // a usage error (exit 2 through errUsage)
		want  string // in the error
	}{
		{"no env", []string{"--image", testImage, "--out", "x"}, true, "--env is required"},
		{"no image", []string{"--env", "dev", "--out", "x"}, true, "--image is required"},
		{"no out", []string{"--env", "dev", "--image", testImage}, true, "--out is required"},
		{"unknown flag", []string{"--nope"}, true, "flag provided but not defined"},
		{"extra argument", []string{"--env", "dev", "--image", testImage, "--out", "x", "staging"}, true, `unexpected argument "staging"`},
		{"unknown env", []string{"--env", "qa", "--image", testImage}, false, "dev, production, staging"},
		{"tag only", []string{"--env", "dev", "--image", "registry.example.com/ferry/diamonds:1.0"}, false, "has no digest"},
		{"no manifests", []string{"--manifests", "/nonexistent", "--env", "dev", "--image", testImage}, false, "/nonexistent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !tt.usage {
				out := t.TempDir()
				args = append([]string{"--out", out}, args...)
				defer func() {
					if entries, _ := os.ReadDir(out); len(entries) != 0 {
						t.Errorf("a refused render wrote %d files to --out", len(entries))
					}
				}()
				if !slices.Contains(args, "--manifests") {
					args = append(args, "--manifests", manifestsDir)
				}
			}
			var stdout bytes.Buffer
			err := manifestRender(context.Background(), args, &stdout)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, errUsage) != tt.usage {
				t.Errorf("manifestRender(%q) = %v, want an error containing %q (usage error: %v)", args, err, tt.want, tt.usage)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout.String())
			}
		})
	}
}
