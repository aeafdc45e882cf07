// Package procgroup runs a server for tests in its own process group, watched
// so that it dies with the test binary, stopped by process group, and tells
// whether a port is held by that group (not by another server that reused
// it). The MLflow and MLServer test harnesses share it.
package procgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Group is a server in its own process group, watched by a small shell that kills the
// group if the test binary dies without stopping it.
type Group struct {
	// PGID is the group's id: the PID of the process Start started.
	PGID     int
	name     string
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has exited
	watchdog *exec.Cmd
	lifeline io.WriteCloser // the watchdog's stdin; EOF means the test binary is gone
}

// watchdogScript waits for EOF on stdin, which comes when the test process exits however
// it exits, then stops the server's process group.
const watchdogScript = `read _ ; kill -TERM "-$1" 2>/dev/null; sleep 5; kill -KILL "-$1" 2>/dev/null`

// Start starts cmd as the leader of a new process group; name shows in
// messages and in the watchdog's process title.
func Start(cmd *exec.Cmd, name string) (*Group, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Group{cmd: cmd, PGID: cmd.Process.Pid, name: name, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	wd := exec.Command("/bin/sh", "-c", watchdogScript, name+"-watchdog", strconv.Itoa(p.PGID))
	wd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // survives a Ctrl-C to the test's group
	lifeline, err := wd.StdinPipe()
	if err == nil {
		err = wd.Start()
	}
	if err != nil {
		_ = syscall.Kill(-p.PGID, syscall.SIGKILL)
		<-p.done
		return nil, fmt.Errorf("starting watchdog: %w", err)
	}
	p.watchdog, p.lifeline = wd, lifeline
	return p, nil
}

// Done is closed when the group's leader has exited.
func (p *Group) Done() <-chan struct{} { return p.done }

// State is the leader's exit state, once Done is closed.
func (p *Group) State() *os.ProcessState { return p.cmd.ProcessState }

// Stop sends SIGTERM to the process group (whose leader is the PID Start started),
// SIGKILL to whatever is left after the grace period, and waits until the group is gone;
// then it ends the watchdog.
func (p *Group) Stop(grace time.Duration) error {
	_ = syscall.Kill(-p.PGID, syscall.SIGTERM)
	var err error
	select {
	case <-p.done:
	case <-time.After(grace):
		err = fmt.Errorf("%s ignored SIGTERM for %s; killed it", p.name, grace)
		_ = syscall.Kill(-p.PGID, syscall.SIGKILL)
		<-p.done
	}
	for i := 0; Alive(p.PGID); i++ {
		if i == 100 {
			_ = syscall.Kill(-p.PGID, syscall.SIGKILL)
		}
		if i > 200 {
			err = errors.Join(err, fmt.Errorf("process group %d still alive after SIGKILL", p.PGID))
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = p.watchdog.Process.Kill()
	_ = p.lifeline.Close()
	_ = p.watchdog.Wait()
	return err
}

// Alive reports whether any process of the group still runs. Zombies do not count: they
// hold no port or file, and orphans wait for init to reap them, which can take seconds.
func Alive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil || len(procs) == 0 {
		return true // no /proc: trust kill(2)
	}
	for _, dir := range procs {
		if pg, state := processGroup(dir); pg == pgid && state != "Z" {
			return true
		}
	}
	return false
}

// OwnsListener reports whether a process in group pgid holds the socket listening on
// 127.0.0.1:port, from /proc: another server on a reused port must not pass for ours.
// Without /proc (not Linux) the error wraps os.ErrNotExist.
func OwnsListener(pgid, port int) (bool, error) {
	inodes, err := listeningInodes(port)
	if err != nil || len(inodes) == 0 {
		return false, err
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range procs {
		if pg, _ := processGroup(dir); pg != pgid {
			continue
		}
		fds, _ := os.ReadDir(filepath.Join(dir, "fd"))
		for _, fd := range fds {
			link, _ := os.Readlink(filepath.Join(dir, "fd", fd.Name()))
			if strings.HasPrefix(link, "socket:[") && inodes[strings.Trim(link[len("socket:"):], "[]")] {
				return true, nil
			}
		}
	}
	return false, nil
}

// listeningInodes returns the inodes of sockets in state LISTEN on 127.0.0.1:port.
func listeningInodes(port int) (map[string]bool, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return nil, fmt.Errorf("checking who listens on port %d (needs Linux /proc): %w", port, err)
	}
	defer f.Close()
	want := fmt.Sprintf("0100007F:%04X", port) // little-endian 127.0.0.1, big-endian port
	inodes := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && fields[1] == want && fields[3] == "0A" {
			inodes[fields[9]] = true
		}
	}
	return inodes, sc.Err()
}

// processGroup reads the process group id and state from /proc/<pid>/stat; -1 if unreadable.
func processGroup(procDir string) (pgid int, state string) {
	b, err := os.ReadFile(filepath.Join(procDir, "stat"))
	if err != nil {
		return -1, ""
	}
	// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
	rest := string(b)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 3 {
		return -1, ""
	}
	pgrp, err := strconv.Atoi(fields[2])
	if err != nil {
		return -1, ""
	}
	return pgrp, fields[0]
}
