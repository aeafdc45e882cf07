package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferryml/ferry/testbed/internal/netns"
	"github.com/ferryml/ferry/testbed/internal/registry"
)

// status prints one line per part: whether it runs and answers.
func (tb *testbed) status(ctx context.Context, w io.Writer) error {
	st, err := tb.loadState()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "instance   %s (cache %s)\n", tb.layout.Name, tb.layout.Cache)
	if st == nil {
		fmt.Fprintln(w, "state      down (no saved state)")
		return fmt.Errorf("the test bed is down: run `testbed up`")
	}
	ok := true
	line := func(name, detail string, err error) {
		mark := "ok"
		if err != nil {
			mark, ok = "FAIL", false
			detail += ": " + err.Error()
		}
		fmt.Fprintf(w, "%-10s %-4s %s\n", name, mark, detail)
	}
	var nsErr error
	if !netns.Exists(st.Link) {
		nsErr = fmt.Errorf("namespace missing")
	}
	line("network", fmt.Sprintf("%s, host %s, namespace %s", st.Link.NS, st.Link.HostIP(), st.Link.PeerIP()), nsErr)
	for _, r := range st.Registries {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := registry.Ready(rctx, r.Addr(st.Link.PeerIP()), st.Token)
		cancel()
		if !r.Process.Alive() {
			err = fmt.Errorf("process %d is gone", r.Process.PID)
		}
		what := "publish target"
		if r.Mirror != "" {
			what = "mirror of " + r.Mirror
		}
		line("registry", fmt.Sprintf("%s (%s), pid %d", r.Addr(st.Link.PeerIP()), what, r.Process.PID), err)
	}
	err = relayAnswers(ctx, st.RelayAddr, st.Token)
	line("relay", fmt.Sprintf("http://%s/go, http://%s/pypi/simple, pid %d", st.RelayAddr, st.RelayAddr, st.Relay.PID), err)
	err = engineAnswers(ctx, tb.layout.EngineSocket())
	if err == nil {
		err = daggerVersion(ctx, st, tb.layout.EngineSocket())
	}
	line("engine", fmt.Sprintf("unix://%s, pid %d", tb.layout.EngineSocket(), st.Engine.PID), err)
	fmt.Fprintf(w, "images     %d tags pinned in %s\n", len(st.Images), tb.layout.ImageLock())
	fmt.Fprintf(w, "disk       %s\n", diskUse(tb.layout.Cache))
	if !ok {
		return fmt.Errorf("the test bed is not healthy: run `testbed down && testbed up`")
	}
	return nil
}

// daggerVersion asks the engine itself for its version over a real session.
func daggerVersion(ctx context.Context, st *state, sock string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, st.DaggerBin, "core", "version")
	cmd.Env = append(os.Environ(), daggerEnv(st, sock)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("dagger core version: %w: %s", err, strings.TrimSpace(string(out)))
	}
	if !strings.Contains(string(out), "v0.19.10") {
		return fmt.Errorf("engine answered version %q, want v0.19.10", strings.TrimSpace(string(out)))
	}
	return nil
}

// diskUse sums the sizes of the cache's top folders.
func diskUse(root string) string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return "n/a"
	}
	var parts []string
	var total int64
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		out, err := exec.Command("du", "-sb", filepath.Join(root, e.Name())).Output()
		if err != nil {
			continue
		}
		var n int64
		fmt.Sscan(string(out), &n)
		total += n
		parts = append(parts, fmt.Sprintf("%s %s", e.Name(), human(n)))
	}
	return fmt.Sprintf("%s in all (%s)", human(total), strings.Join(parts, ", "))
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
