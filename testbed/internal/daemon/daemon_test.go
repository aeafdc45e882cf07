package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartAliveStop(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	p, err := Start(Spec{Name: "sleeper", Args: []string{"sh", "-c", "echo started; exec sleep 60"}, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Alive() {
		t.Fatal("Alive() = false right after Start")
	}
	for i := 0; i < 100; i++ { // wait for the output before stopping it
		if data, _ := os.ReadFile(log); len(data) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Stop(context.Background(), 5*time.Second); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if p.Alive() {
		t.Error("Alive() = true after Stop")
	}
	// Stopping twice is fine.
	if err := p.Stop(context.Background(), time.Second); err != nil {
		t.Errorf("second Stop() = %v", err)
	}
	data, _ := os.ReadFile(log)
	if !strings.Contains(string(data), "started") {
		t.Errorf("log = %q, want the process's output", data)
	}
}

// A process that ignores SIGTERM is killed after the grace period.
func TestStopKillsStubbornProcess(t *testing.T) {
	p, err := Start(Spec{Name: "stubborn", Args: []string{"sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"}, Log: filepath.Join(t.TempDir(), "log")})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the trap be set
	start := time.Now()
	if err := p.Stop(context.Background(), 300*time.Millisecond); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if p.Alive() {
		t.Error("still alive after Stop")
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("Stop took %s, want it to wait the grace period first", d)
	}
}

// A recorded PID whose start time differs is someone else's process: it is
// neither alive (for us) nor signalled.
func TestReusedPIDIsNotOurs(t *testing.T) {
	me := Process{Name: "self", PID: os.Getpid()}
	st, err := startTime(me.PID)
	if err != nil {
		t.Fatal(err)
	}
	me.Start = st
	if !me.Alive() {
		t.Fatal("Alive() = false for this very process")
	}
	other := Process{Name: "recycled", PID: os.Getpid(), Start: st + 1}
	if other.Alive() {
		t.Error("Alive() = true for a PID with another start time")
	}
	if err := other.Stop(context.Background(), time.Second); err != nil {
		t.Errorf("Stop(recycled) = %v", err)
	}
	// Still running: the test process was not signalled.
	if (Process{}).Alive() {
		t.Error("zero Process is alive")
	}
}

func TestStartFailsClearly(t *testing.T) {
	_, err := Start(Spec{Name: "missing", Args: []string{"/nonexistent/program"}, Log: filepath.Join(t.TempDir(), "log")})
	if err == nil || !strings.Contains(err.Error(), "starting missing") {
		t.Errorf("Start(missing program) = %v, want an error naming it", err)
	}
	_, err = Start(Spec{Name: "nolog", Args: []string{"true"}, Log: "/nonexistent/dir/log"})
	if err == nil || !strings.Contains(err.Error(), "opening log") {
		t.Errorf("Start(bad log) = %v, want an error about the log", err)
	}
}
