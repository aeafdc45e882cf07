package engine

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestConfigFilesGolden(t *testing.T) {
	c := Config{
		Mirrors: []Mirror{{Host: "docker.io", Target: "10.213.0.2:5001"}, {Host: "ghcr.io", Target: "10.213.0.2:5002"}},
		Plain:   []string{"10.213.0.2:5001", "10.213.0.2:5000", "10.213.0.2:5002"},
	}
	files, err := c.Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range files {
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", name, golden, got, want)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc", "dagger")
	if err := (Config{}).WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "engine.toml"))
	if err != nil || !strings.Contains(string(data), "unix:///run/dagger/engine.sock") {
		t.Errorf("engine.toml = %q, %v; want the socket address", data, err)
	}
}

func TestInitArgsRoundTrip(t *testing.T) {
	r := Root{Lower: "/l", Upper: "/u", Env: []string{"A=1"}}
	args, err := r.InitArgs()
	if err != nil || len(args) != 2 || args[0] != "__engine-init" {
		t.Fatalf("InitArgs() = %v, %v", args, err)
	}
	// Init refuses a bad argument before touching any mount.
	if err := Init("{not json"); err == nil || !strings.Contains(err.Error(), "reading arguments") {
		t.Errorf("Init(bad json) = %v, want an argument error", err)
	}
}
