package procgroup

import (
	"os/exec"
	"testing"
	"time"
)

func TestStopEndsTheWholeGroup(t *testing.T) {
	p := startSleeper(t)
	if err := p.Stop(15 * time.Second); err != nil {
		t.Fatalf("stop() = %v, want nil", err)
	}
	if Alive(p.PGID) {
		t.Errorf("process group %d alive after stop()", p.PGID)
	}
	if p.watchdog.ProcessState == nil {
		t.Errorf("watchdog not reaped after stop()")
	}
}

func TestWatchdogStopsGroupWhenTestProcessGoes(t *testing.T) {
	p := startSleeper(t)
	defer p.Stop(15 * time.Second)
	p.lifeline.Close() // what the kernel does when the test binary dies
	deadline := time.Now().Add(10 * time.Second)
	for Alive(p.PGID) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if Alive(p.PGID) {
		t.Errorf("process group %d alive 10s after the lifeline closed", p.PGID)
	}
}

// startSleeper starts a process group of two sleeping processes, like a server
// and the worker it forks.
func startSleeper(t *testing.T) *Group {
	t.Helper()
	p, err := Start(exec.Command("/bin/sh", "-c", "sleep 60 & sleep 60; wait"), "procgroup-test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
