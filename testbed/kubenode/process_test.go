package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain lets the test binary be kubenode itself: with KUBENODE_AS_MAIN
// set it runs main's dispatch instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("KUBENODE_AS_MAIN") == "1" {
		os.Exit(run(os.Args))
	}
	os.Exit(m.Run())
}

func selfArgs(args ...string) []string {
	exe, _ := os.Executable()
	return append([]string{exe}, args...)
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeAndPause runs the serve and pause modes as real processes:
// serve answers with its message and host name; both exit 0 on SIGTERM.
func TestServeAndPause(t *testing.T) {
	s, err := newSupervisor(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.stopped = true // exits are expected here, not failures
	s.mu.Unlock()
	addr := freePort(t)
	env := []string{"KUBENODE_AS_MAIN=1"}
	srv, err := s.start("serve-test", selfArgs("serve", "--addr", addr, "--message", "hi"), env)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	err = s.waitFor(context.Background(), "serve", func() error {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if want := fmt.Sprintf("hi from %s\n", host); body != want {
		t.Errorf("GET / = %q, want %q", body, want)
	}
	resp, err := http.Get("http://" + addr + "/never")
	if err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /never = %v, %v; want 404 (what a never-ready probe relies on)", resp, err)
	}

	t.Setenv("KUBENODE_AS_MAIN", "1") // for s.run, which passes the environment on
	out, err := s.run(context.Background(), selfArgs("fetch", "http://"+addr+"/")...)
	if err != nil || out != strings.TrimSpace(body) {
		t.Errorf("fetch / = %q, %v; want %q", out, err, strings.TrimSpace(body))
	}
	if out, err := s.run(context.Background(), selfArgs("fetch", "http://"+addr+"/never")...); err == nil {
		t.Errorf("fetch /never = %q, nil; want an error for 404", out)
	}

	pause, err := s.start("pause-test", selfArgs("pause"), env)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // let it install its signal handler
	for _, c := range []*component{srv, pause} {
		if err := unix.Kill(c.pid, unix.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case ws := <-c.done:
			if ws.Signaled() || ws.ExitStatus() != 0 {
				t.Errorf("%s after SIGTERM: %s, want exit status 0", c.name, describe(ws))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s did not exit on SIGTERM", c.name)
		}
	}
}

// TestSupervisorReportsDeath checks a component that exits unasked ends
// the waits with its name, status and log tail.
func TestSupervisorReportsDeath(t *testing.T) {
	dir := t.TempDir()
	s, err := newSupervisor(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.start("crasher", []string{"sh", "-c", "echo boom-line >&2; exit 3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.waitFor(context.Background(), "never", func() error { return fmt.Errorf("not yet") })
	if err == nil || !strings.Contains(err.Error(), "crasher exited (exit status 3)") || !strings.Contains(err.Error(), "boom-line") {
		t.Errorf("waitFor error = %v, want crasher's exit status 3 and its log line", err)
	}
	out, err := s.run(context.Background(), "sh", "-c", "echo out; exit 0")
	if err != nil || out != "out" {
		t.Errorf("run(sh echo out) = %q, %v; want \"out\", nil", out, err)
	}
	if _, err := s.run(context.Background(), "sh", "-c", "exit 4"); err == nil || !strings.Contains(err.Error(), "exit status 4") {
		t.Errorf("run(sh exit 4) error = %v, want exit status 4", err)
	}
}
