// Package layout names the test bed's folders: caches kept across runs
// (outside the checkout) and the runtime state of one running instance.
package layout

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/ferryml/ferry/pipelines/cache"
)

// Layout is where one test bed instance keeps its files.
type Layout struct {
	// Cache is the root of everything kept between runs (FERRY_CACHE,
	// default $XDG_CACHE_HOME/ferry or ~/.cache/ferry).
	Cache string
	// Name tells instances apart (FERRY_TESTBED_NAME, default "ferry"); it
	// names the network namespace and the veth pair.
	Name string
}

var instanceName = regexp.MustCompile(`^[a-z][a-z0-9]{0,7}$`)

// FromEnv returns the layout the environment selects.
func FromEnv() (Layout, error) {
	dir, err := cache.Dir()
	if err != nil {
		return Layout{}, err
	}
	name := os.Getenv("FERRY_TESTBED_NAME")
	if name == "" {
		name = "ferry"
	}
	if !instanceName.MatchString(name) {
		return Layout{}, fmt.Errorf("FERRY_TESTBED_NAME=%q: use 1-8 lower-case letters or digits, starting with a letter (it names network interfaces)", name)
	}
	return Layout{Cache: dir, Name: name}, nil
}

// Marker is a file in Cache that marks it as the test bed's: clean deletes
// only a folder that has it.
func (l Layout) Marker() string { return filepath.Join(l.Cache, ".ferry-cache") }

// Claim creates Cache and its marker.
func (l Layout) Claim() error {
	if err := os.MkdirAll(l.Cache, 0o755); err != nil {
		return fmt.Errorf("creating the cache folder: %w", err)
	}
	return os.WriteFile(l.Marker(), []byte("ferry test bed cache: `testbed clean` deletes this folder\n"), 0o644)
}

// GoModCache and GoBuildCache are shared by every tool build.
func (l Layout) GoModCache() string   { return filepath.Join(l.Cache, "go", "mod") }
func (l Layout) GoBuildCache() string { return filepath.Join(l.Cache, "go", "build") }

// ToolBuild is the throwaway module a tool is built in.
func (l Layout) ToolBuild(name, version string) string {
	return filepath.Join(l.Cache, "build", name+"-"+version)
}

// ToolBin holds a built tool's binaries, keyed by version and recipe hash.
func (l Layout) ToolBin(name, version, hash string) string {
	return filepath.Join(l.Cache, "tools", name+"-"+version+"-"+hash)
}

// RootfsTar is a cached mmdebstrap output.
func (l Layout) RootfsTar(hash string) string {
	return filepath.Join(l.Cache, "rootfs", hash+".tar")
}

// ImageLayout is a cached OCI image layout of a built image.
func (l Layout) ImageLayout(hash string) string {
	return filepath.Join(l.Cache, "images", hash)
}

// EngineRoot is the unpacked, read-only root of the engine.
func (l Layout) EngineRoot(hash string) string {
	return filepath.Join(l.Cache, "engine", "root-"+hash)
}

// EngineContent is the engine's built-in content store (Go SDK image).
func (l Layout) EngineContent() string { return filepath.Join(l.Cache, "engine", "content") }

// EngineState is the engine's /var/lib/dagger (its build cache).
func (l Layout) EngineState() string { return filepath.Join(l.Cache, "engine", "state-"+l.Name) }

// RegistryData holds one registry's blobs and manifests.
func (l Layout) RegistryData(registry string) string {
	return filepath.Join(l.Cache, "registry", l.Name, registry)
}

// Run is the runtime state of the running instance.
func (l Layout) Run() string { return filepath.Join(l.Cache, "run", l.Name) }

// StateFile records what `up` started.
func (l Layout) StateFile() string { return filepath.Join(l.Run(), "state.json") }

// Log is the log file of one process of the instance.
func (l Layout) Log(name string) string { return filepath.Join(l.Run(), "logs", name+".log") }

// EngineSocketDir is bind-mounted at the engine's /run/dagger.
func (l Layout) EngineSocketDir() string { return filepath.Join(l.Run(), "engine") }

// EngineSocket is the engine's gRPC socket as the host sees it.
func (l Layout) EngineSocket() string { return filepath.Join(l.EngineSocketDir(), "engine.sock") }

// ImageLock lists every image the mirror serves, pinned by digest.
func (l Layout) ImageLock() string { return filepath.Join(l.Run(), "images.lock.json") }

// NetNS is the name of the instance's network namespace.
func (l Layout) NetNS() string { return "ferry-" + l.Name }

// HostVeth and PeerVeth name the two ends of the instance's veth pair.
func (l Layout) HostVeth() string { return l.Name + "-h" }
func (l Layout) PeerVeth() string { return l.Name + "-n" }
