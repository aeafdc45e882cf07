package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ferryml/ferry/testbed/internal/daemon"
	"github.com/ferryml/ferry/testbed/internal/netns"
)

// down stops what up started, then removes the namespace and the veth pair.
// It is safe to run twice, or without a saved state: then it removes only
// what carries this instance's names.
func (tb *testbed) down(ctx context.Context) error {
	if err := preflight(); err != nil {
		return err
	}
	unlock, err := tb.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := tb.loadState()
	if err != nil {
		return err
	}
	var errs []error
	if st != nil {
		procs := []daemon.Process{st.Engine, st.Relay}
		for _, r := range st.Registries {
			procs = append(procs, r.Process)
		}
		for _, p := range procs {
			if err := p.Stop(ctx, 15*time.Second); err != nil {
				errs = append(errs, err)
			}
		}
	}
	l := netns.Link{NS: tb.layout.NetNS(), HostIf: tb.layout.HostVeth(), PeerIf: tb.layout.PeerVeth()}
	// Whatever still runs in our namespace was started by us (a lost state).
	if err := killNamespace(ctx, l); err != nil {
		errs = append(errs, err)
	}
	if err := netns.Down(ctx, l); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		if err := os.Remove(tb.layout.StateFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		_ = os.RemoveAll(tb.layout.EngineSocketDir())
		_ = os.RemoveAll(tb.layout.Run() + "/engine-overlay")
		fmt.Fprintf(os.Stderr, "down: test bed %q stopped; caches kept in %s\n", tb.layout.Name, tb.layout.Cache)
	}
	return errors.Join(errs...)
}

// killNamespace stops every process left in the instance's namespace.
func killNamespace(ctx context.Context, l netns.Link) error {
	if !netns.Exists(l) {
		return nil
	}
	for attempt := 0; attempt < 50; attempt++ {
		out, err := exec.CommandContext(ctx, "ip", "netns", "pids", l.NS).Output()
		if err != nil {
			return fmt.Errorf("listing processes in %s: %w", l.NS, err)
		}
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			return nil
		}
		sig := syscall.SIGTERM
		if attempt > 20 {
			sig = syscall.SIGKILL
		}
		for _, s := range pids {
			if pid, err := strconv.Atoi(s); err == nil {
				_ = syscall.Kill(pid, sig)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("processes remain in network namespace %s", l.NS)
}

// clean stops the instance and deletes every cache.
func (tb *testbed) clean(ctx context.Context) error {
	if _, err := os.Stat(tb.layout.Marker()); err != nil {
		return fmt.Errorf("%s does not look like a test bed cache (no %s): not deleting it", tb.layout.Cache, filepath.Base(tb.layout.Marker()))
	}
	if err := tb.down(ctx); err != nil {
		return err
	}
	// Go's module cache is read-only on purpose; make it removable.
	_ = exec.CommandContext(ctx, "chmod", "-R", "u+w", tb.layout.Cache).Run()
	if err := os.RemoveAll(tb.layout.Cache); err != nil {
		return fmt.Errorf("removing %s: %w", tb.layout.Cache, err)
	}
	fmt.Fprintf(os.Stderr, "clean: removed %s\n", tb.layout.Cache)
	return nil
}
