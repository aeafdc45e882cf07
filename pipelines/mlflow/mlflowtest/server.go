package mlflowtest

import (
	"errors"
	"fmt"
	"github.com/ferryml/ferry/pipelines/procgroup"
	"github.com/ferryml/ferry/pipelines/pyvenv"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds a server start: about 10 s on 2 idle cores, but over a minute on a
// machine loaded with other builds.
const startTimeout = 5 * time.Minute

// Server is a running `mlflow server` with a SQLite store and artifact proxy in a
// directory of its own, listening on 127.0.0.1 at a port the kernel chose.
type Server struct {
	URL     string        // http://127.0.0.1:<port>
	LogPath string        // the server's stdout and stderr, appended to across restarts
	Started time.Duration // how long the last start took, until the server answered
	dir     string        // mlflow.db, artifacts/, server.log
	ownsDir bool          // Close removes dir
	port    int
	python  string
	mu      sync.Mutex
	proc    *procgroup.Group
}

// Start runs a server for t and stops it when t ends; on failure the end of its log is
// printed. Where python3 is missing the test is skipped, unless CI=true: then it fails.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{dir: t.TempDir(), python: filepath.Join(Venv(t), "bin", "python")}
	s.LogPath = filepath.Join(s.dir, "server.log")
	t.Cleanup(func() {
		s.logOnFailure(t)
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := s.startFresh(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Launch runs a server outside any test (for TestMain or a shared server); Close stops it
// and removes its store.
func Launch() (*Server, error) {
	venv, err := ensureVenv()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mlflowtest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, ownsDir: true, python: filepath.Join(venv, "bin", "python")}
	s.LogPath = filepath.Join(dir, "server.log")
	if err := s.startFresh(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Stop stops the server process and keeps its store and port for Restart.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

// Restart stops the server if it runs, then starts it again on the same store and port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// Close stops the server and, for a Launch-ed server, removes its store.
func (s *Server) Close() error {
	err := s.stop()
	if s.ownsDir {
		err = errors.Join(err, os.RemoveAll(s.dir))
	}
	return err
}

// Log returns the last n lines of the server's log.
func (s *Server) Log(n int) string { return pyvenv.Tail(s.LogPath, n) }

func (s *Server) logOnFailure(t testing.TB) {
	if t.Failed() {
		t.Logf("mlflow server log (%s), last lines:\n%s", s.LogPath, s.Log(40))
	}
}

// startFresh picks a free port and starts; it tries another port if one was taken
// between the kernel handing it out and the server binding it.
func (s *Server) startFresh() error {
	var err error
	for range 3 {
		if s.port, err = freePort(); err != nil {
			return err
		}
		s.URL = "http://127.0.0.1:" + strconv.Itoa(s.port)
		if err = s.start(); err == nil || !errors.Is(err, errExited) {
			return err
		}
	}
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("choosing a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var errExited = errors.New("mlflow server exited while starting")

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return errors.New("mlflow server is already running")
	}
	log, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("starting mlflow server: %w", err)
	}
	defer log.Close() // the children hold their own copies
	offset, _ := log.Seek(0, io.SeekEnd)
	cmd := exec.Command(s.python, "-m", "mlflow", "server",
		"--host", "127.0.0.1", "--port", strconv.Itoa(s.port), "--workers", "1",
		"--backend-store-uri", "sqlite:///"+filepath.Join(s.dir, "mlflow.db"),
		"--artifacts-destination", filepath.Join(s.dir, "artifacts"), "--serve-artifacts")
	cmd.Dir, cmd.Env = s.dir, serverEnv()
	cmd.Stdout, cmd.Stderr = log, log
	began := time.Now()
	p, err := procgroup.Start(cmd, "mlflowtest")
	if err != nil {
		return fmt.Errorf("starting mlflow server: %w", err)
	}
	s.proc = p
	if err := s.waitReady(p, offset); err != nil {
		s.proc = nil
		return errors.Join(err, p.Stop(15*time.Second))
	}
	s.Started = time.Since(began)
	return nil
}

// serverEnv is the test process's environment without MLflow settings (a developer's
// MLFLOW_TRACKING_URI must not leak in), and with the job runner off: it starts a dozen
// worker processes that the tests do not need.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MLFLOW_") && !strings.HasPrefix(kv, "_MLFLOW_") {
			env = append(env, kv)
		}
	}
	return append(env, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false")
}

// waitReady waits until /health answers and the listening socket belongs to a process of
// our server's process group: another server on the same port must not pass for ours.
func (s *Server) waitReady(p *procgroup.Group, logOffset int64) error {
	deadline := time.Now().Add(startTimeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-p.Done():
			return fmt.Errorf("%w (%s); log:\n%s", errExited, p.State(), s.Log(30))
		default:
		}
		if resp, err := hc.Get(s.URL + "/health"); err == nil {
			resp.Body.Close()
			owned, err := ownsListener(p.PGID, s.port, s.LogPath, logOffset)
			if err != nil {
				return err
			}
			if resp.StatusCode == http.StatusOK && owned {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mlflow server at %s not ready after %s; log:\n%s", s.URL, startTimeout, s.Log(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	err := s.proc.Stop(15 * time.Second)
	s.proc = nil
	return err
}
