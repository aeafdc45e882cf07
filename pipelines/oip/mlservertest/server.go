package mlservertest

import (
	"errors"
	"fmt"
	"github.com/ferryml/ferry/pipelines/procgroup"
	"github.com/ferryml/ferry/pipelines/pyvenv"
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

// startTimeout bounds a server start: about 10 s on 2 idle cores (most of it importing
// scikit-learn and pandas), over a minute on a machine loaded with other builds.
const startTimeout = 5 * time.Minute

// Server is a running `mlserver start` serving one model over HTTP on 127.0.0.1 at a port
// the kernel chose (gRPC on another; the metrics server off; no worker pool, so inference
// runs in the one process the harness started; one OpenMP thread). Other settings are
// MLServer's defaults, debug included: a 500 answer carries a Python traceback.
type Server struct {
	URL     string        // http://127.0.0.1:<port>, the base of the /v2 routes
	Model   Model         // the model it serves
	LogPath string        // the server's stdout and stderr
	Started time.Duration // how long the start took, until the model was ready
	dir     string        // working folder, holds server.log
	ownsDir bool          // Close removes dir
	venv    string
	mu      sync.Mutex
	proc    *procgroup.Group
}

// Start runs a server for m for t and stops it when t ends; on failure the end of its
// log is printed. Where python3 is missing the test is skipped, unless CI=true: then it fails.
func Start(t testing.TB, m Model) *Server {
	t.Helper()
	venv, err := serveVenv()
	if err != nil {
		fail(t, err)
	}
	s := &Server{Model: m, dir: t.TempDir(), venv: venv}
	s.LogPath = filepath.Join(s.dir, "server.log")
	t.Cleanup(func() {
		s.logOnFailure(t)
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	return s
}

// Launch runs a server for m outside any test (for TestMain or a shared server); Close
// stops it and removes its folder.
func Launch(m Model) (*Server, error) {
	venv, err := serveVenv()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mlservertest-")
	if err != nil {
		return nil, err
	}
	s := &Server{Model: m, dir: dir, ownsDir: true, venv: venv, LogPath: filepath.Join(dir, "server.log")}
	if err := s.start(); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// serveVenv is the venv of models/requirements/serve.lock, built on first use.
func serveVenv() (string, error) {
	lock, err := lockFile("serve.lock")
	if err != nil {
		return "", err
	}
	return ensureVenv("mlserver", lock)
}

// Close stops the server and, for a Launch-ed server, removes its folder.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.proc != nil {
		err = s.proc.Stop(20 * time.Second)
		s.proc = nil
	}
	if s.ownsDir {
		err = errors.Join(err, os.RemoveAll(s.dir))
	}
	return err
}

// PID returns the process id of the mlserver process the harness started (0 if stopped).
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.PGID
}

// Log returns the last n lines of the server's log.
func (s *Server) Log(n int) string { return pyvenv.Tail(s.LogPath, n) }

func (s *Server) logOnFailure(t testing.TB) {
	if t.Failed() {
		t.Logf("mlserver log (%s), last lines:\n%s", s.LogPath, s.Log(40))
	}
}

var errExited = errors.New("mlserver exited while starting")

// start picks free ports and starts; it tries other ports if one was taken between the
// kernel handing it out and MLServer binding it.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for range 3 {
		if err = s.startOnce(); err == nil || !errors.Is(err, errExited) {
			return err
		}
	}
	return err
}

func (s *Server) startOnce() error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	httpPort := ports[0]
	s.URL = "http://127.0.0.1:" + strconv.Itoa(httpPort)
	log, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("starting mlserver: %w", err)
	}
	defer log.Close() // the child holds its own copy
	cmd := exec.Command(filepath.Join(s.venv, "bin", "mlserver"), "start", s.Model.ModelDir())
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.dir, log, log
	cmd.Env = append(withoutMLServerEnv(os.Environ()),
		"MLSERVER_HOST=127.0.0.1",
		"MLSERVER_HTTP_PORT="+strconv.Itoa(httpPort),
		"MLSERVER_GRPC_PORT="+strconv.Itoa(ports[1]),
		"MLSERVER_METRICS_PORT="+strconv.Itoa(ports[2]),
		"MLSERVER_METRICS_ENDPOINT=",  // empty: no metrics server
		"MLSERVER_PARALLEL_WORKERS=0", // infer in the main process: one process group to stop
		// OpenMP threads spin while they wait (see models/diamonds/README.md): on two shared
		// cores the default pool made one 3-row prediction take 0.6-4.5 s instead of ~80 ms.
		"OMP_NUM_THREADS=1",
	)
	began := time.Now()
	p, err := procgroup.Start(cmd, "mlservertest")
	if err != nil {
		return fmt.Errorf("starting mlserver: %w", err)
	}
	if err := s.waitReady(p, httpPort); err != nil {
		return errors.Join(err, p.Stop(20*time.Second))
	}
	s.proc, s.Started = p, time.Since(began)
	return nil
}

// withoutMLServerEnv drops MLSERVER_* settings a developer may have exported.
func withoutMLServerEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MLSERVER_") {
			out = append(out, kv)
		}
	}
	return out
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("choosing a port: %w", err)
		}
		defer l.Close() // held until all are chosen, so the n ports differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitReady waits until our model's own version answers ready and the listening socket
// belongs to the process group we started: another server on the port must not pass.
func (s *Server) waitReady(p *procgroup.Group, port int) error {
	deadline := time.Now().Add(startTimeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	ready := s.URL + "/v2/models/" + s.Model.Name + "/versions/" + s.Model.Version + "/ready"
	for {
		select {
		case <-p.Done():
			return fmt.Errorf("%w (%s); log:\n%s", errExited, p.State(), s.Log(30))
		default:
		}
		if resp, err := hc.Get(ready); err == nil {
			resp.Body.Close()
			owned, err := procgroup.OwnsListener(p.PGID, port)
			if err != nil {
				return err
			}
			if resp.StatusCode == http.StatusOK && owned {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mlserver at %s not ready after %s; log:\n%s", s.URL, startTimeout, s.Log(30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
