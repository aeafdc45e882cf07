package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/testbed/internal/daemon"
	"github.com/ferryml/ferry/testbed/internal/layout"
	"github.com/ferryml/ferry/testbed/internal/netns"
	"github.com/ferryml/ferry/testbed/internal/registry"
	"github.com/ferryml/ferry/testbed/internal/spec"
)

// state is what up started, saved in layout.StateFile.
type state struct {
	Link       netns.Link        `json:"link"`
	Token      string            `json:"token"`
	Registries []runningRegistry `json:"registries"`
	Relay      daemon.Process    `json:"relay"`
	RelayAddr  string            `json:"relayAddr"`
	Engine     daemon.Process    `json:"engine"`
	EngineKey  string            `json:"engineKey"`
	DaggerBin  string            `json:"daggerBin"`
	Images     map[string]string `json:"images"` // name:tag → name:tag@digest
}

type runningRegistry struct {
	registry.Registry
	Process daemon.Process `json:"process"`
}

// testbed is one instance: its spec, folders and saved state.
type testbed struct {
	spec   *spec.Spec
	layout layout.Layout
	goVer  string
	goroot string
}

func newTestbed() (*testbed, error) {
	l, err := layout.FromEnv()
	if err != nil {
		return nil, err
	}
	goVer, goroot, err := goEnv()
	if err != nil {
		return nil, err
	}
	minor := goVer
	if parts := strings.SplitN(goVer, ".", 3); len(parts) == 3 {
		minor = parts[0] + "." + parts[1]
	}
	s, err := spec.Parse(specYAML, spec.Vars{GoVersion: goVer, GoMinor: minor})
	if err != nil {
		return nil, fmt.Errorf("testbed.yaml: %w", err)
	}
	return &testbed{spec: s, layout: l, goVer: goVer, goroot: goroot}, nil
}

// goEnv returns the version (without "go") and GOROOT of the go command.
func goEnv() (version, goroot string, err error) {
	out, err := exec.Command("go", "env", "GOVERSION", "GOROOT").Output()
	if err != nil {
		return "", "", fmt.Errorf("running `go env`: is Go installed and on PATH? %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return "", "", fmt.Errorf("unexpected `go env` output %q", out)
	}
	return strings.TrimPrefix(lines[0], "go"), lines[1], nil
}

func (tb *testbed) loadState() (*state, error) {
	data, err := os.ReadFile(tb.layout.StateFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading test bed state: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("reading test bed state %s: %w (remove it after `testbed down`)", tb.layout.StateFile(), err)
	}
	return &st, nil
}

func (tb *testbed) saveState(st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	path := tb.layout.StateFile()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// lock serialises commands that change the instance.
func (tb *testbed) lock() (unlock func(), err error) {
	if err := os.MkdirAll(tb.layout.Run(), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(tb.layout.Run(), "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("another testbed command is changing instance %q (lock %s): %w", tb.layout.Name, f.Name(), err)
	}
	return func() { f.Close() }, nil
}
