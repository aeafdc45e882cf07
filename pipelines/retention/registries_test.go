package retention

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// distributionBinary is Debian's docker-registry package: distribution 2.8.2.
const distributionBinary = "/usr/bin/docker-registry"

// registryKind is one of the two registry behaviours the package must handle.
type registryKind struct {
	name string
	// tagDelete is what Apply must learn by trying: whether a tag DELETE works.
	tagDelete string
	start     func(t *testing.T) string // returns host:port
}

var registryKinds = []registryKind{
	{name: "ggcr", tagDelete: "supported", start: startInProcess},
	{name: "distribution", tagDelete: "unsupported", start: startDistribution},
}

// eachRegistry runs fn against a fresh in-process registry and a fresh real
// distribution 2.8.2.
func eachRegistry(t *testing.T, fn func(t *testing.T, kind registryKind, host string)) {
	for _, k := range registryKinds {
		t.Run(k.name, func(t *testing.T) { fn(t, k, k.start(t)) })
	}
}

func startInProcess(t *testing.T) string {
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// startDistribution runs docker-registry on a kernel-chosen port with delete
// enabled and storage in t.TempDir(), and stops it by PID when t ends. A
// random header value in its config proves that the server answering is ours.
func startDistribution(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(distributionBinary); err != nil {
		msg := fmt.Sprintf("%s (distribution 2.8.2) is missing: apt-get install docker-registry", distributionBinary)
		if ci := strings.ToLower(os.Getenv("CI")); ci != "" && ci != "false" && ci != "0" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	instance := hex.EncodeToString(nonce)
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: %s
  headers:
    X-Ferry-Instance: [%s]
`, filepath.Join(dir, "data"), instance, instance)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "registry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	began := time.Now()
	cmd := exec.Command(distributionBinary, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = registryEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", distributionBinary, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { stopProcess(t, cmd.Process.Pid, done) })
	host, err := waitDistribution(logPath, instance, done)
	if err != nil {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("%v; log:\n%s", err, b)
	}
	t.Logf("docker-registry pid %d ready at %s in %s", cmd.Process.Pid, host, time.Since(began).Round(time.Millisecond))
	return host
}

// registryEnv drops REGISTRY_* variables, which would override the config file.
func registryEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") {
			env = append(env, kv)
		}
	}
	return env
}

var listening = regexp.MustCompile(`listening on (127\.0\.0\.1:[0-9]+)`)

// waitDistribution reads the chosen address from the log, then waits until
// GET /v2/ there answers with our instance header.
func waitDistribution(logPath, instance string, done <-chan struct{}) (string, error) {
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	host := ""
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return "", errors.New("docker-registry exited while starting")
		default:
		}
		if host == "" {
			host = scanAddress(logPath)
		}
		if host != "" {
			resp, err := hc.Get("http://" + host + "/v2/")
			if err == nil {
				resp.Body.Close()
				if resp.Header.Get("X-Ferry-Instance") != instance {
					return "", fmt.Errorf("%s answered without our instance header: another server holds the port", host)
				}
				if resp.StatusCode == http.StatusOK {
					return host, nil
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", errors.New("docker-registry not ready after 30s")
}

func scanAddress(logPath string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			return m[1]
		}
	}
	return ""
}

// stopProcess sends SIGTERM to pid, SIGKILL after 10s, and waits for it to exit.
func stopProcess(t *testing.T, pid int, done <-chan struct{}) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Errorf("docker-registry (pid %d) ignored SIGTERM for 10s; killing it", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-done
	}
}
