package kubetest

import (
	"context"
	"fmt"
	"os/exec"
	"sync"
	"testing"
	"time"
)

var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
}

// Shared returns one control plane for the whole test binary, started on first use, so a
// package's tests pay for one start. Tests sharing it must use namespaces of their own.
// Main stops it after the tests; if a binary does not use Main, the components'
// watchdogs still stop them when the binary exits.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	shared.once.Do(func() {
		shared.cluster, shared.err = Launch()
		if shared.err == nil {
			t.Logf("shared control plane (%s) started in %s", KubernetesVersion, shared.cluster.Started.Round(time.Millisecond))
		}
	})
	if shared.err != nil {
		fail(t, shared.err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("control plane logs:\n%s", shared.cluster.Logs(15))
		}
	})
	return shared.cluster
}

// CloseShared stops the shared control plane, if one was started.
func CloseShared() error {
	if shared.cluster == nil {
		return nil
	}
	return shared.cluster.Close()
}

// Kubectl runs the pinned kubectl against the cluster and returns its combined output.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Tools.Kubectl, append([]string{"--kubeconfig=" + c.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("kubectl %v: %w: %s", args, err, out)
	}
	return out, nil
}
