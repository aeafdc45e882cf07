package spec

import (
	"os"
	"strings"
	"testing"
)

var vars = Vars{GoVersion: "1.26.8", GoMinor: "1.26"}

// The project's own testbed.yaml parses and expands.
func TestProjectSpec(t *testing.T) {
	data, err := os.ReadFile("../../testbed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(data, vars)
	if err != nil {
		t.Fatalf("Parse(testbed.yaml) = %v", err)
	}
	golang, err := s.Image("golang")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(golang.Tags, ","); got != "1.26.8-bookworm,1.26-bookworm" {
		t.Errorf("golang tags = %s, want 1.26.8-bookworm,1.26-bookworm", got)
	}
	if _, err := s.Tool("dagger"); err != nil {
		t.Error(err)
	}
}

func TestParseRejects(t *testing.T) {
	base := "debian: {suite: bookworm, mirror: http://deb.debian.org/debian}\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", base + "imagez: []\n", "unknown field"},
		{"no debian", "images: []\n", "suite and mirror"},
		{"floating tool version", base + "tools: [{name: x, module: m, version: latest, binaries: {x: .}}]\n", "not an exact semantic version"},
		{"tool without binaries", base + "tools: [{name: x, module: m, version: v1.0.0}]\n", "binaries is empty"},
		{"image with tag in name", base + "images: [{name: 'docker.io/library/python:3', tags: [a], packages: [p]}]\n", "without tag or digest"},
		{"image without tags", base + "images: [{name: docker.io/library/python, packages: [p]}]\n", "at least one tag"},
		{"image without packages", base + "images: [{name: docker.io/library/python, tags: [a]}]\n", "needs packages or from"},
		{"from unknown", base + "images: [{name: docker.io/x/y, tags: [a], from: docker.io/x/z}]\n", "not an image of this list"},
		{"uses unknown tool", base + "images: [{name: docker.io/x/y, tags: [a], packages: [p], uses: [nope]}]\n", "not a tool of this list"},
		{"bad template", base + "images: [{name: docker.io/x/y, tags: ['{{.Nope}}'], packages: [p]}]\n", "Nope"},
		{"duplicate image", base + "images: [{name: docker.io/x/y, tags: [a], packages: [p]}, {name: docker.io/x/y, tags: [b], packages: [p]}]\n", "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), vars)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestImageNotInListNamesIt(t *testing.T) {
	s, err := Parse([]byte("debian: {suite: bookworm, mirror: http://m}\nimages: [{name: docker.io/library/python, tags: [3], packages: [p]}]\n"), vars)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Image("node:20")
	if err == nil || !strings.Contains(err.Error(), "docker.io/library/node is not built by the test bed") || !strings.Contains(err.Error(), "docker.io/library/python") {
		t.Errorf("Image(node:20) = %v, want an error naming node and the known images", err)
	}
}

func TestCanonical(t *testing.T) {
	tests := map[string]string{
		"python":                             "docker.io/library/python",
		"python:3.11-slim":                   "docker.io/library/python",
		"mlflow/mlflow:v3":                   "docker.io/mlflow/mlflow",
		"ghcr.io/mlflow/mlflow:v3@sha256:ab": "ghcr.io/mlflow/mlflow",
		"index.docker.io/library/registry":   "docker.io/library/registry",
		"localhost:5000/x":                   "localhost:5000/x",
		"10.0.0.1:5000/a/b:c":                "10.0.0.1:5000/a/b",
	}
	for in, want := range tests {
		if got := Canonical(in); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHashStable(t *testing.T) {
	a := Hash(map[string]string{"b": "2", "a": "1"}, []string{"x"})
	b := Hash(map[string]string{"a": "1", "b": "2"}, []string{"x"})
	if a != b {
		t.Errorf("Hash differs for equal maps: %s != %s", a, b)
	}
	if a == Hash(map[string]string{"a": "1"}, []string{"x"}) {
		t.Error("Hash equal for different values")
	}
}
