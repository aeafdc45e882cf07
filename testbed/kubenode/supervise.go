package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// supervisor starts the node's processes, reaps every child (it is the
// subreaper of the container, so orphaned containerd shims land here too),
// and reports the first component that exits.
type supervisor struct {
	logDir  string
	began   time.Time
	mu      sync.Mutex
	comps   []*component
	dead    chan struct{} // closed when a component exits unasked
	once    sync.Once
	cause   error
	stopped bool
}

type component struct {
	name string
	pid  int
	done chan unix.WaitStatus
	exit *unix.WaitStatus
}

func newSupervisor(logDir string) (*supervisor, error) {
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating log folder: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("becoming child subreaper: %w", err)
	}
	return &supervisor{logDir: logDir, began: time.Now(), dead: make(chan struct{})}, nil
}

// logf prints a status line to stderr with the time since start.
func (s *supervisor) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "k3s: [%6.1fs] %s\n", time.Since(s.began).Seconds(), fmt.Sprintf(format, args...))
}

// reaper collects every exited child of this process and hands the status
// to whoever started it; orphans (shims, container processes) are just
// collected. A process has one: os/exec's Wait must not be used beside it.
type reaper struct {
	mu      sync.Mutex
	waiting map[int]chan unix.WaitStatus
}

var (
	reaperOnce sync.Once
	theReaper  *reaper
)

func procReaper() *reaper {
	reaperOnce.Do(func() {
		theReaper = &reaper{waiting: map[int]chan unix.WaitStatus{}}
		sigchld := make(chan os.Signal, 16)
		signal.Notify(sigchld, syscall.SIGCHLD)
		go theReaper.loop(sigchld)
	})
	return theReaper
}

func (r *reaper) loop(sigchld <-chan os.Signal) {
	for range sigchld {
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
			r.mu.Lock()
			ch, ok := r.waiting[pid]
			delete(r.waiting, pid)
			r.mu.Unlock()
			if ok {
				ch <- ws
			}
		}
	}
}

// spawn starts a process and registers it before the reaper can see it
// exit (both hold mu).
func (r *reaper) spawn(cmd *exec.Cmd) (int, chan unix.WaitStatus, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	pid := cmd.Process.Pid
	_ = cmd.Process.Release() // the reaper waits, not os/exec
	ch := make(chan unix.WaitStatus, 1)
	r.waiting[pid] = ch
	return pid, ch, nil
}

// start runs a long-lived component with its output in logDir/name.log.
func (s *supervisor) start(name string, args, env []string) (*component, error) {
	path, err := lookPath(args[0])
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	logPath := filepath.Join(s.logDir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening log of %s: %w", name, err)
	}
	defer logf.Close()
	cmd := exec.Command(path, args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	pid, ch, err := procReaper().spawn(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	c := &component{name: name, pid: pid, done: make(chan unix.WaitStatus, 1)}
	s.mu.Lock()
	s.comps = append(s.comps, c)
	s.mu.Unlock()
	go func() {
		ws := <-ch
		s.mu.Lock()
		c.exit = &ws
		stopped := s.stopped
		s.mu.Unlock()
		c.done <- ws
		if !stopped {
			s.fail(fmt.Errorf("%s exited (%s); last lines of %s:\n%s", name, describe(ws), logPath, tail(logPath, 15)))
		}
	}()
	s.logf("%s started (pid %d, log %s)", name, pid, logPath)
	return c, nil
}

func (s *supervisor) fail(err error) {
	s.once.Do(func() {
		s.cause = err
		close(s.dead)
	})
}

// run executes a short helper command and returns its combined output.
func (s *supervisor) run(ctx context.Context, args ...string) (string, error) {
	path, err := lookPath(args[0])
	if err != nil {
		return "", err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return "", fmt.Errorf("running %s: %w", args[0], err)
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Stdout, cmd.Stderr = w, w
	pid, ch, err := procReaper().spawn(cmd)
	w.Close()
	if err != nil {
		r.Close()
		return "", fmt.Errorf("running %s: %w", args[0], err)
	}
	out := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(r, 64<<10))
		_, _ = io.Copy(io.Discard, r)
		r.Close()
		out <- strings.TrimSpace(string(b))
	}()
	select {
	case ws := <-ch:
		text := <-out
		if ws.ExitStatus() != 0 || ws.Signaled() {
			return text, fmt.Errorf("%s %s", args[0], describe(ws))
		}
		return text, nil
	case <-ctx.Done():
		_ = unix.Kill(pid, unix.SIGKILL)
		return "", ctx.Err()
	}
}

// waitFor polls check until it passes, the context ends or a component dies.
func (s *supervisor) waitFor(ctx context.Context, what string, check func() error) error {
	began := time.Now()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			s.logf("%s ready (%.1fs)", what, time.Since(began).Seconds())
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last check: %v)", what, ctx.Err(), err)
		case <-s.dead:
			return fmt.Errorf("waiting for %s: %w", what, s.cause)
		case <-tick.C:
		}
	}
}

// stop ends the components newest first (SIGTERM, then SIGKILL after
// grace), then kills whatever orphans are left (shims and pod processes).
func (s *supervisor) stop(grace time.Duration) {
	s.mu.Lock()
	s.stopped = true
	comps := append([]*component(nil), s.comps...)
	s.mu.Unlock()
	for i := len(comps) - 1; i >= 0; i-- {
		c := comps[i]
		if s.exited(c) {
			continue
		}
		_ = unix.Kill(c.pid, unix.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(grace):
			s.logf("%s did not stop in %s: killing it", c.name, grace)
			_ = unix.Kill(c.pid, unix.SIGKILL)
			<-c.done
		}
		s.logf("%s stopped", c.name)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		kids := children(os.Getpid())
		if len(kids) == 0 {
			return
		}
		for _, pid := range kids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.logf("warning: processes still left after stop: %v", children(os.Getpid()))
}

func (s *supervisor) exited(c *component) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.exit != nil
}
