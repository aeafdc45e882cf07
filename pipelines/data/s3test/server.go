package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/data/sigv4"
	"github.com/ferryml/ferry/pipelines/data/source"
)

// Region is the region the server signs for.
const Region = "us-east-1"

// Server is a running versitygw, serving a fresh posix backend in a temporary directory.
type Server struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	// Credentials are the root account's keys, random for each server.
	Credentials sigv4.Credentials
	// Dir is the backend directory: a bucket is a subdirectory.
	Dir string
	// PID is the server's process id.
	PID int

	cmd  *exec.Cmd
	logs *syncBuffer
}

// Start builds versitygw if needed, starts it on a port the kernel chooses, waits until
// the process it started is listening and answering, and stops it when the test ends.
// It skips in -short mode.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("s3test: needs versitygw, skipped in -short mode")
	}
	bin := Binary(t)
	s := &Server{Dir: t.TempDir(), logs: &syncBuffer{},
		Credentials: sigv4.Credentials{AccessKeyID: "AK" + randomHex(t, 8), SecretAccessKey: randomHex(t, 20)}}
	s.cmd = exec.Command(bin, "--port", "127.0.0.1:0", "--quiet", "posix", s.Dir)
	// Keys go in the environment, not argv, where any process could read them.
	s.cmd.Env = append(cleanEnv(), "ROOT_ACCESS_KEY_ID="+s.Credentials.AccessKeyID,
		"ROOT_SECRET_ACCESS_KEY="+s.Credentials.SecretAccessKey)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // die with the test binary
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	s.PID = s.cmd.Process.Pid
	t.Cleanup(s.stop)
	port, err := listeningPort(s.PID, 15*time.Second)
	if err != nil {
		t.Fatalf("waiting for versitygw (pid %d) to listen: %v\n%s", s.PID, err, s.Logs())
	}
	s.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := s.waitReady(10 * time.Second); err != nil {
		t.Fatalf("waiting for versitygw (pid %d) at %s: %v\n%s", s.PID, s.Endpoint, err, s.Logs())
	}
	return s
}

// S3 returns the settings for source.WithS3.
func (s *Server) S3() source.S3 {
	return source.S3{Endpoint: s.Endpoint, Region: Region, Credentials: s.Credentials}
}

// Logs returns what the server printed, with its keys redacted.
func (s *Server) Logs() string {
	out := s.logs.String()
	for _, k := range []string{s.Credentials.SecretAccessKey, s.Credentials.AccessKeyID} {
		out = strings.ReplaceAll(out, k, "[redacted]")
	}
	return out
}

// CreateBucket creates a bucket.
func (s *Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if err := s.do(http.MethodPut, "/"+bucket, nil); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
}

// Put stores an object.
func (s *Server) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	if err := s.do(http.MethodPut, "/"+bucket+"/"+key, body); err != nil {
		t.Fatalf("putting s3://%s/%s: %v", bucket, key, err)
	}
}

func (s *Server) do(method, path string, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.Endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	sigv4.Sign(req, s.Credentials, Region, "s3", sigv4.PayloadHash(body), time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, msg)
	}
	return nil
}

// waitReady polls ListBuckets until the server answers it.
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		err := s.do(http.MethodGet, "/", nil)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the server by its PID: SIGTERM, then SIGKILL after 5 s.
func (s *Server) stop() {
	if s.cmd.Process == nil {
		return
	}
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// cleanEnv drops versitygw's own settings from the environment, so a developer's
// VGW_* or ROOT_* variables cannot change the test server.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			out = append(out, kv)
		}
	}
	return out
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
