package kubetest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
)

// PodNetwork is the range pod addresses come from. It is routed to the loopback device,
// and only inside the test binary's own network namespace, so no packet for a pod
// address ever leaves it.
const PodNetwork = "10.244.0.0/16"

// netnsEnv marks the copy of the test binary that runs inside the namespace.
const netnsEnv = "FERRY_KUBETEST_NETNS"

// isolated is true once this process runs in a namespace of its own with the pod network.
var isolated bool

// Main runs the package's tests inside a new network namespace holding only a loopback
// device with the pod network routed to it, then stops the shared control plane. Call it
// from TestMain: `func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }`.
//
// The test binary runs itself again as a child in the new namespace; the child is killed
// if the parent dies. Where namespaces cannot be made (not root), the tests run in place
// and Start reports why it cannot give them a cluster.
func Main(m *testing.M) int {
	if os.Getenv(netnsEnv) == "" {
		code, err := reexec()
		if err == nil {
			return code
		}
		fmt.Fprintf(os.Stderr, "kubetest: running without a network namespace: %v\n", err)
		return runTests(m)
	}
	if err := setupPodNetwork(); err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: %v\n", err)
		return 2
	}
	isolated = true
	return runTests(m)
}

func runTests(m *testing.M) int {
	code := m.Run()
	if err := CloseShared(); err != nil {
		fmt.Fprintf(os.Stderr, "kubetest: stopping the shared control plane: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// reexec runs this test binary again with the same arguments in a new network namespace
// and returns its exit status. An error means the namespace could not be made.
func reexec() (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), netnsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Pdeathsig fires when the thread that started the child ends: keep this one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if exit.ExitCode() < 0 {
			return 2, nil // killed by a signal
		}
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 2, nil
	}
	return 0, nil
}

// setupPodNetwork brings up lo and routes PodNetwork to it, after checking that this
// namespace has no other device: a route to PodNetwork must never reach a real network.
func setupPodNetwork() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("listing network devices: %w", err)
	}
	for _, i := range ifaces {
		if i.Name != "lo" {
			return fmt.Errorf("refusing to set up the pod network: device %q is in this namespace (expected only lo)", i.Name)
		}
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"route", "add", "local", PodNetwork, "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("setting up the pod network (ip %v; Debian: apt-get install iproute2): %v: %s", args, err, out)
		}
	}
	return nil
}

// Isolated reports whether the tests run in the namespace Main made.
func Isolated() bool { return isolated }
