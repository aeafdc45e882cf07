package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ferryml/ferry/testbed/internal/gotool"
	"github.com/ferryml/ferry/testbed/internal/registry"
)

// daggerEnv is the environment that points the dagger CLI (and the Go SDK)
// at the test bed's engine.
func daggerEnv(st *state, sock string) []string {
	return []string{
		"_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://" + sock,
		"_EXPERIMENTAL_DAGGER_CLI_BIN=" + st.DaggerBin,
		"DO_NOT_TRACK=1",
		"DAGGER_NO_NAG=1",
	}
}

// env prints shell exports for the running instance.
func (tb *testbed) env(w io.Writer) error {
	st, err := tb.loadState()
	if err != nil {
		return err
	}
	if st == nil || !st.Engine.Alive() {
		return fmt.Errorf("the test bed is not up: run `testbed up` (or `make testbed-up`) first")
	}
	vars := daggerEnv(st, tb.layout.EngineSocket())
	local := registry.All[0].Addr(st.Link.PeerIP())
	vars = append(vars,
		"PATH="+filepath.Dir(st.DaggerBin)+":"+os.Getenv("PATH"),
		// Where pipelines publish images in the test bed.
		"FERRY_REGISTRY="+local,
		// Relays for containers that install Go modules and Python packages.
		"FERRY_GOPROXY=http://"+st.RelayAddr+"/go",
		"FERRY_PIP_INDEX_URL=http://"+st.RelayAddr+"/pypi/simple",
		// The digest every public image name resolves to in the mirror.
		"FERRY_IMAGE_LOCK="+tb.layout.ImageLock(),
		"FERRY_TESTBED_SOCKET="+tb.layout.EngineSocket(),
		// Trivy's vulnerability DB as the test bed serves it (no advisories:
		// the real DB cannot be fetched offline; tests seed their own).
		"FERRY_TRIVY_DB="+local+"/"+trivyDBRepo,
	)
	// Where each pinned tool's binaries are, for host-side tests that run
	// the real thing (kube-apiserver, etcd, kwok, trivy, cosign).
	gb := &gotool.Builder{Layout: tb.layout, Stubs: sub("stubs"), GoVersion: tb.goVer}
	for _, t := range tb.spec.Tools {
		vars = append(vars, "FERRY_TOOL_"+strings.ToUpper(strings.ReplaceAll(t.Name, "-", "_"))+"="+gb.Dir(t))
	}
	for _, v := range vars {
		name, value, _ := strings.Cut(v, "=")
		fmt.Fprintf(w, "export %s=%s\n", name, shellQuote(value))
	}
	return nil
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._:-=,@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// preflight checks what up and down need, and says how to fix what is missing.
func preflight() error {
	return checkHost(os.Geteuid(), exec.LookPath, "/proc/filesystems")
}

// required maps each command the test bed runs to the Debian package with it.
var required = []struct{ cmd, pkg string }{
	{"ip", "iproute2"},
	{"nsenter", "util-linux"},
	{"mmdebstrap", "mmdebstrap"},
	{"docker-registry", "docker-registry"},
	{"tar", "tar"},
	{"go", "Go, from https://go.dev/dl"},
}

func checkHost(euid int, lookPath func(string) (string, error), filesystems string) error {
	if euid != 0 {
		return fmt.Errorf("the test bed must run as root: it creates a network namespace and mounts the engine's root (run it with sudo)")
	}
	var missing []string
	for _, r := range required {
		if _, err := lookPath(r.cmd); err != nil {
			missing = append(missing, fmt.Sprintf("%s (package %s)", r.cmd, r.pkg))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing commands: %s; `make deps` installs them", strings.Join(missing, ", "))
	}
	fsys, err := os.ReadFile(filesystems)
	if err == nil && !strings.Contains(string(fsys), "overlay") {
		return fmt.Errorf("the kernel has no overlay file system, which the engine needs: load it with `modprobe overlay`")
	}
	return nil
}
