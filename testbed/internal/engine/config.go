// Package engine runs the Dagger engine the way its official container
// does, without a container runtime: in its own network, mount and PID
// namespaces, on an overlay of a cached root built from Debian packages.
package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Mirror routes pulls of a public registry host to a test bed registry.
type Mirror struct {
	Host   string // e.g. docker.io
	Target string // host:port of the test bed registry
}

// Config is what the engine is told at start.
type Config struct {
	Mirrors []Mirror
	// Plain lists registries (host:port) spoken to over plain HTTP.
	Plain []string
	// Env is the engine's environment: PATH, the Go SDK image digest, the
	// Go proxy modules are built through.
	Env []string
}

// engineJSON mirrors github.com/dagger/dagger/engine/config.Config (v0.19.10)
// for the fields the test bed sets.
type engineJSON struct {
	LogLevel   string                  `json:"logLevel,omitempty"`
	Registries map[string]registryJSON `json:"registries,omitempty"`
}

type registryJSON struct {
	Mirrors  []string `json:"mirrors,omitempty"`
	HTTP     *bool    `json:"http,omitempty"`
	Insecure *bool    `json:"insecure,omitempty"`
}

// Files renders /etc/dagger/engine.toml (buildkit settings: where to listen)
// and /etc/dagger/engine.json (registries).
func (c Config) Files() (map[string][]byte, error) {
	toml := []byte(`debug = false

[grpc]
  address = ["unix:///run/dagger/engine.sock"]
`)
	regs := map[string]registryJSON{}
	for _, m := range c.Mirrors {
		regs[m.Host] = registryJSON{Mirrors: []string{m.Target}}
	}
	yes := true
	plain := append([]string(nil), c.Plain...)
	sort.Strings(plain)
	for _, p := range plain {
		r := regs[p]
		r.HTTP, r.Insecure = &yes, &yes
		regs[p] = r
	}
	js, err := json.MarshalIndent(engineJSON{LogLevel: "warn", Registries: regs}, "", "  ")
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"engine.toml": toml, "engine.json": append(js, '\n')}, nil
}

// WriteFiles writes the config files into dir (bind-mounted at /etc/dagger).
func (c Config) WriteFiles(dir string) error {
	files, err := c.Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("writing engine config %s: %w", name, err)
		}
	}
	return nil
}
