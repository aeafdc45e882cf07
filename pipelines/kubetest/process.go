package kubetest

import (
	"bufio"
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

// process is one control-plane component in its own process group, watched by a small
// shell that kills the group if the test binary dies without stopping it.
type process struct {
	name     string
	cmd      *exec.Cmd
	pgid     int
	logPath  string
	done     chan struct{} // closed when cmd has exited
	watchdog *exec.Cmd
	lifeline io.WriteCloser // the watchdog's stdin; EOF means the test binary is gone
}

// watchdogScript waits for EOF on stdin, which comes when the test process exits however
// it exits, then stops the component's process group.
const watchdogScript = `read _ ; kill -TERM "-$1" 2>/dev/null; sleep 5; kill -KILL "-$1" 2>/dev/null`

// startProcess runs bin with args, its output appended to dir/<name>.log.
func startProcess(dir, name, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	defer log.Close() // the child holds its own copy
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, pgid: cmd.Process.Pid, logPath: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	wd := exec.Command("/bin/sh", "-c", watchdogScript, "kubetest-watchdog", strconv.Itoa(p.pgid))
	wd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // survives a Ctrl-C to the test's group
	lifeline, err := wd.StdinPipe()
	if err == nil {
		err = wd.Start()
	}
	if err != nil {
		_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
		<-p.done
		return nil, fmt.Errorf("starting the watchdog of %s: %w", name, err)
	}
	p.watchdog, p.lifeline = wd, lifeline
	return p, nil
}

// exited returns an error if the process has already ended.
func (p *process) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%s); log:\n%s", p.name, p.cmd.ProcessState, tail(p.logPath, 25))
	default:
		return nil
	}
}

// stop sends SIGTERM to the process group, SIGKILL after a grace period, and waits until
// the process is gone; then it ends the watchdog.
func (p *process) stop() error {
	_ = syscall.Kill(-p.pgid, syscall.SIGTERM)
	var err error
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		err = fmt.Errorf("%s ignored SIGTERM for 10s; killed it", p.name)
		_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
		<-p.done
	}
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL) // any child it left behind
	_ = p.watchdog.Process.Kill()
	_ = p.lifeline.Close()
	_ = p.watchdog.Wait()
	return err
}

// owns reports whether this process holds the socket listening on 127.0.0.1:port
// (from /proc, which shows the test binary's own network namespace).
func (p *process) owns(port int) (bool, error) {
	inodes, err := listeningInodes(port)
	if err != nil || len(inodes) == 0 {
		return false, err
	}
	dir := filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false, fmt.Errorf("reading the sockets of %s: %w", p.name, err)
	}
	for _, fd := range fds {
		link, _ := os.Readlink(filepath.Join(dir, fd.Name()))
		if strings.HasPrefix(link, "socket:[") && inodes[strings.Trim(link[len("socket:"):], "[]")] {
			return true, nil
		}
	}
	return false, nil
}

// listeningInodes returns the inodes of sockets in state LISTEN on 127.0.0.1:port.
func listeningInodes(port int) (map[string]bool, error) {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return nil, err
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

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
