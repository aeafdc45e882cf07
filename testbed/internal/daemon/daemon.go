// Package daemon starts long-running processes detached from the caller and
// stops exactly those again: a process is known by its PID together with its
// start time, so a PID the kernel has since given to another process is never
// signalled.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process identifies a started process.
type Process struct {
	Name  string `json:"name"`
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // field 22 of /proc/PID/stat, in clock ticks since boot
}

// Spec says what to start.
type Spec struct {
	Name string
	Args []string // Args[0] is the program
	Env  []string // the whole environment; nil inherits the caller's
	Dir  string
	Log  string // stdout and stderr go here (appended)
	// Cloneflags gives the process new namespaces (syscall.CLONE_NEW*).
	Cloneflags uintptr
}

// Start starts s in its own session and process group, detached from the
// caller, and returns its identity.
func Start(s Spec) (Process, error) {
	if len(s.Args) == 0 {
		return Process{}, errors.New("starting process: no program given")
	}
	logf, err := os.OpenFile(s.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Process{}, fmt.Errorf("starting %s: opening log: %w", s.Name, err)
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return Process{}, err
	}
	defer devnull.Close()
	cmd := exec.Command(s.Args[0], s.Args[1:]...)
	cmd.Env, cmd.Dir = s.Env, s.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Cloneflags: s.Cloneflags}
	if err := cmd.Start(); err != nil {
		return Process{}, fmt.Errorf("starting %s (%s): %w", s.Name, s.Args[0], err)
	}
	p := Process{Name: s.Name, PID: cmd.Process.Pid}
	p.Start, err = startTime(p.PID)
	if err != nil {
		return Process{}, fmt.Errorf("starting %s: %w", s.Name, err)
	}
	// Reap it in the background while this process lives; afterwards init does.
	go func() { _ = cmd.Wait() }()
	return p, nil
}

// Alive reports whether p is still the process that was started.
func (p Process) Alive() bool {
	if p.PID <= 0 {
		return false
	}
	st, err := startTime(p.PID)
	if err != nil || st != p.Start {
		return false
	}
	state, err := procState(p.PID)
	return err == nil && state != "Z"
}

// Stop sends SIGTERM to p's process group, waits up to grace, then SIGKILLs.
// A process that is already gone (or whose PID was reused) is left alone.
func (p Process) Stop(ctx context.Context, grace time.Duration) error {
	if !p.Alive() {
		return nil
	}
	// p leads its own process group (Setsid), so -PID reaches its children.
	_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	_ = syscall.Kill(p.PID, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
	for i := 0; i < 100 && p.Alive(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if p.Alive() {
		return fmt.Errorf("stopping %s (pid %d): still running after SIGKILL", p.Name, p.PID)
	}
	return nil
}

func startTime(pid int) (uint64, error) {
	fields, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	// fields[0] is field 3 (state); start time is field 22.
	return strconv.ParseUint(fields[22-3], 10, 64)
}

func procState(pid int) (string, error) {
	fields, err := statFields(pid)
	if err != nil {
		return "", err
	}
	return fields[0], nil
}

// statFields returns /proc/PID/stat from field 3 on (after the command name,
// which may itself hold spaces and parentheses).
func statFields(pid int) ([]string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("reading /proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return nil, fmt.Errorf("reading /proc/%d/stat: too few fields", pid)
	}
	return fields, nil
}
