package mlservertest

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

// process is a server in its own process group, watched by a small shell that kills the
// group if the test binary dies without stopping it.
type process struct {
	cmd      *exec.Cmd
	pgid     int
	done     chan struct{} // closed when cmd has exited
	watchdog *exec.Cmd
	lifeline io.WriteCloser // the watchdog's stdin; EOF means the test binary is gone
}

// watchdogScript waits for EOF on stdin, which comes when the test process exits however
// it exits, then stops the server's process group.
const watchdogScript = `read _ ; kill -TERM "-$1" 2>/dev/null; sleep 5; kill -KILL "-$1" 2>/dev/null`

func startProcess(cmd *exec.Cmd) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, pgid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	wd := exec.Command("/bin/sh", "-c", watchdogScript, "mlservertest-watchdog", strconv.Itoa(p.pgid))
	wd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // survives a Ctrl-C to the test's group
	lifeline, err := wd.StdinPipe()
	if err == nil {
		err = wd.Start()
	}
	if err != nil {
		_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
		<-p.done
		return nil, fmt.Errorf("starting watchdog: %w", err)
	}
	p.watchdog, p.lifeline = wd, lifeline
	return p, nil
}

// stop sends SIGTERM to the process group (whose leader is the PID we started), SIGKILL
// to whatever is left after a grace period, and waits until the group is gone; then it
// ends the watchdog.
func (p *process) stop() error {
	_ = syscall.Kill(-p.pgid, syscall.SIGTERM)
	var err error
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		err = errors.New("mlserver ignored SIGTERM for 20s; killed it")
		_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
		<-p.done
	}
	for i := 0; groupAlive(p.pgid); i++ {
		if i == 100 {
			_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
		}
		if i > 200 {
			err = errors.Join(err, fmt.Errorf("process group %d still alive after SIGKILL", p.pgid))
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = p.watchdog.Process.Kill()
	_ = p.lifeline.Close()
	_ = p.watchdog.Wait()
	return err
}

// groupAlive reports whether any process of the group still runs; zombies do not count.
func groupAlive(pgid int) bool {
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

// ownsListener reports whether a process in group pgid holds the socket listening on
// 127.0.0.1:port, from /proc: another server on a reused port must not pass for ours.
func ownsListener(pgid, port int) (bool, error) {
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
