package mlflowtest

import (
	"github.com/ferryml/ferry/pipelines/procgroup"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests need no MLflow: the server itself is exercised by pipelines/mlflow's tests.

func TestRequirementsLockIsHashPinned(t *testing.T) {
	pin := regexp.MustCompile(`^([A-Za-z0-9_.-]+)==([^ \\]+) \\$`)
	var name string
	pins := map[string]string{}
	hashes := map[string]int{}
	for _, line := range strings.Split(string(requirementsLock), "\n") {
		switch trimmed := strings.TrimSpace(line); {
		case trimmed == "", strings.HasPrefix(trimmed, "#"):
		case strings.HasPrefix(trimmed, "--hash=sha256:"):
			if len(trimmed) != len("--hash=sha256:")+64 && !strings.HasSuffix(trimmed, `\`) {
				t.Errorf("hash line %q: want --hash=sha256:<64 hex>", trimmed)
			}
			hashes[name]++
		default:
			m := pin.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("requirements.lock line %q: want name==version \\ followed by hashes", line)
			}
			name = strings.ToLower(m[1])
			pins[name] = m[2]
		}
	}
	if got := pins["mlflow"]; got != MLflowVersion {
		t.Errorf("requirements.lock pins mlflow==%s, want %s (MLflowVersion)", got, MLflowVersion)
	}
	for _, dep := range []string{"mlflow-skinny", "mlflow-tracing"} {
		if got := pins[dep]; got != MLflowVersion {
			t.Errorf("requirements.lock pins %s==%s, want %s", dep, got, MLflowVersion)
		}
	}
	for n := range pins {
		if hashes[n] == 0 {
			t.Errorf("requirements.lock: %s has no --hash line", n)
		}
	}
}

func TestVenvName(t *testing.T) {
	if got := venvName(); !regexp.MustCompile(`^mlflow-[0-9a-f]{12}$`).MatchString(got) {
		t.Errorf("venvName() = %q, want mlflow-<12 hex>", got)
	}
	t.Setenv("FERRY_CACHE", "/somewhere")
	if got, _ := cacheRoot(); got != "/somewhere" {
		t.Errorf("cacheRoot() with FERRY_CACHE=/somewhere = %q, want /somewhere", got)
	}
}

func TestOwnsListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	p := startSleeper(t)
	defer p.Stop(15 * time.Second)
	tests := []struct {
		name string
		pgid int
		want bool
	}{
		{"this test's process group holds it", syscall.Getpgrp(), true},
		{"another process group does not", p.PGID, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ownsListener(tt.pgid, port, "", 0)
			if err != nil || got != tt.want {
				t.Errorf("ownsListener(%d, %d) = %v, %v, want %v", tt.pgid, port, got, err, tt.want)
			}
		})
	}
}

// startSleeper starts a process group of two sleeping processes, like mlflow + uvicorn.
func startSleeper(t *testing.T) *procgroup.Group {
	t.Helper()
	p, err := procgroup.Start(exec.Command("/bin/sh", "-c", "sleep 60 & sleep 60; wait"), "mlflowtest")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStart is the one test here that runs MLflow (pipelines/mlflow's tests cover Restart
// on their shared server): Start, WithoutRoutes, and the process group gone after Close.
func TestStart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real MLflow server; run without -short")
	}
	s := Start(t)
	get := func(base, path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s = %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Content-Type")
	}
	if got, _ := get(s.URL, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default"); got != http.StatusOK {
		t.Errorf("GET Default experiment = %d, want 200", got)
	}
	const alias = "/api/2.0/mlflow/registered-models/alias?name=m&alias=a"
	tests := []struct {
		name, base      string
		wantContentType string
	}{
		{"real server: an MLflow error for the missing model", s.URL, "application/json"},
		{"WithoutRoutes: an HTML 404, no such route", s.WithoutRoutes(t, "/api/2.0/mlflow/registered-models/alias"), "text/html"},
	}
	for _, tt := range tests {
		status, ct := get(tt.base, alias)
		if status != http.StatusNotFound || !strings.HasPrefix(ct, tt.wantContentType) {
			t.Errorf("%s: GET alias = %d %q, want 404 %s", tt.name, status, ct, tt.wantContentType)
		}
	}
	pgid := s.proc.PGID
	if err := s.Close(); err != nil || procgroup.Alive(pgid) {
		t.Errorf("Close() = %v, group alive %v, want nil and gone", err, procgroup.Alive(pgid))
	}
}
