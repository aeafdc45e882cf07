package mlservertest

import (
	"github.com/ferryml/ferry/pipelines/procgroup"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestServeLockPinsMLServer(t *testing.T) {
	lock, err := lockFile("serve.lock")
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"mlserver", "mlserver-sklearn"} {
		re := regexp.MustCompile(`(?m)^` + pkg + `==([^ ]+) \\\n\s+--hash=sha256:[0-9a-f]{64}`)
		m := re.FindSubmatch(lock)
		if m == nil || string(m[1]) != MLServerVersion {
			t.Errorf("serve.lock pins %s as %q, want %s with a --hash line", pkg, m, MLServerVersion)
		}
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "models", "diamonds", "train.py")); err != nil {
		t.Errorf("RepoRoot() = %s, which has no models/diamonds/train.py: %v", root, err)
	}
	t.Chdir(t.TempDir())
	if _, err := RepoRoot(); err == nil || !strings.Contains(err.Error(), "inside the checkout") {
		t.Errorf("RepoRoot() outside the checkout = %v, want an error saying where to run", err)
	}
}

func TestShortHashSeparatesParts(t *testing.T) {
	if shortHash([]byte("ab"), []byte("c")) == shortHash([]byte("a"), []byte("bc")) {
		t.Error(`shortHash("ab", "c") == shortHash("a", "bc"), want the parts kept apart`)
	}
}

// The server the harness starts is the one answering, and Close leaves nothing behind.
func TestServerStartsAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real MLServer; run without -short")
	}
	m := TrainedModel(t, "candidate")
	if !strings.HasPrefix(m.Version, "candidate-") || m.Name != "diamonds" {
		t.Errorf("TrainedModel(candidate) = %+v, want diamonds version candidate-<data hash>", m)
	}
	s := Start(t, m)
	pid := s.PID()
	u, _ := url.Parse(s.URL)
	portNum, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("server URL %s has no port: %v", s.URL, err)
	}
	if owned, err := procgroup.OwnsListener(pid, portNum); err != nil || !owned {
		t.Errorf("procgroup.OwnsListener(%d, %d) = %v, %v; want the server's group to hold its port", pid, portNum, owned, err)
	}
	// A listener of another process (this test binary) is not taken for the server's.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if owned, _ := procgroup.OwnsListener(pid, l.Addr().(*net.TCPAddr).Port); owned {
		t.Error("procgroup.OwnsListener(server group, this test's port) = true, want false")
	}
	resp, err := http.Get(s.URL + "/v2/models/" + m.Name + "/versions/" + m.Version + "/ready")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("model ready = %v, %v", resp, err)
	}
	resp.Body.Close()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.PID() != 0 || procgroup.Alive(pid) || syscall.Kill(pid, 0) == nil {
		t.Errorf("after Close the server's process group %d is still alive", pid)
	}
	if _, err := http.Get(s.URL + "/v2/health/live"); err == nil {
		t.Errorf("after Close %s still answers", s.URL)
	}
}
