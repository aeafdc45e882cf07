//go:build e2e

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The module's first function calls into pipelines/catalog: the lock the
// test bed wrote overrides every built-in pin.
func TestImagesComeFromTheLock(t *testing.T) {
	e := testbedEnv(t)
	out := call(t, e, "images")
	for _, img := range []string{"python", "golang", "registry"} {
		if !strings.Contains(out, img+" ") {
			t.Errorf("images = %q, want a row for %s", out, img)
		}
	}
	if strings.Contains(out, "pinned") {
		t.Errorf("images = %q, want every image from the test bed's lock", out)
	}
}

// A docker.io image, named as usual, is served by the test bed's mirror.
func TestContainerFromMirroredImage(t *testing.T) {
	e := testbedEnv(t)
	out := call(t, e, "python", "with-exec", "--args=python,-c,import sys; print(sys.version_info[:2])", "stdout")
	if out != "(3, 11)" {
		t.Errorf("python version = %q, want (3, 11)", out)
	}
}

// An image published to the registry reads back by digest, both through
// the engine and directly from the registry.
func TestPublishAndReadBackByDigest(t *testing.T) {
	e := testbedEnv(t)
	n := nonce(t)
	addr := e.registry + "/e2e/publish:" + n
	ref := call(t, e, "python", "with-new-file", "--path=/e2e.txt", "--contents="+n, "publish", "--address="+addr)
	if !strings.HasPrefix(ref, addr+"@sha256:") {
		t.Fatalf("publish = %q, want %s@sha256:…", ref, addr)
	}
	digest := ref[strings.Index(ref, "@")+1:]

	byDigest := e.registry + "/e2e/publish@" + digest
	r := run(t, 5*time.Minute, "core", "container", "from", "--address="+byDigest, "file", "--path=/e2e.txt", "contents")
	if r.err != nil || r.stdout != n {
		t.Fatalf("reading %s back through the engine = %q, %v; want %q\n%s", byDigest, r.stdout, r.err, n, tail(r.stderr, 20))
	}

	d, err := name.NewDigest(byDigest, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(d)
	if err != nil {
		t.Fatalf("reading %s from the registry: %v", byDigest, err)
	}
	got, err := img.Digest()
	if err != nil || got.String() != digest {
		t.Errorf("registry digest = %v, %v; want %s", got, err, digest)
	}

	// The module's own Publish function (side effect: never cached).
	pinned := call(t, e, "publish", "--container="+byDigest, "--address="+e.registry+"/e2e/republish:"+n)
	if !strings.HasSuffix(pinned, "@"+digest) {
		t.Errorf("Publish(%s) = %q, want the same digest %s", byDigest, pinned, digest)
	}
}

// Go modules install inside a container through the relay, and only
// through it: without the relay the same download fails (offline).
func TestGoModuleThroughRelay(t *testing.T) {
	e := testbedEnv(t)
	args := []string{"golang",
		"with-env-variable", "--name=GOMODCACHE", "--value=/tmp/modcache-" + nonce(t),
		"with-exec", "--args=go,mod,download,-json,github.com/google/uuid@v1.6.0", "stdout"}
	out := call(t, e, args...)
	var m struct{ Version, Sum, Error string }
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("go mod download printed %q: %v", out, err)
	}
	if m.Version != "v1.6.0" || m.Error != "" || !strings.HasPrefix(m.Sum, "h1:") {
		t.Errorf("go mod download = %+v, want v1.6.0 with a checksum", m)
	}
	if r := callResult(t, e, false, args...); r.err == nil {
		t.Errorf("go mod download without the relay succeeded (%q); want it to fail offline", r.stdout)
	}
}

// Python packages install inside a container through the relay, and only
// through it.
func TestPythonPackageThroughRelay(t *testing.T) {
	e := testbedEnv(t)
	args := []string{"python",
		"with-env-variable", "--name=E2E_NONCE", "--value=" + nonce(t),
		"with-exec", "--args=pip,install,--no-cache-dir,six==1.16.0",
		"with-exec", "--args=python,-c,import six; print(six.__version__)", "stdout"}
	if out := call(t, e, args...); out != "1.16.0" {
		t.Errorf("six version = %q, want 1.16.0", out)
	}
	if r := callResult(t, e, false, args...); r.err == nil {
		t.Errorf("pip install without the relay succeeded (%q); want it to fail offline", r.stdout)
	}
}

// The README's run command: the pipeline on the embedded default.
func TestRunOnEmbeddedDefault(t *testing.T) {
	e := testbedEnv(t)
	start := time.Now()
	out := call(t, e, "run")
	t.Logf("run took %s:\n%s", time.Since(start).Round(time.Second), out)
	for _, want := range []string{"Result: **passed**", "registry:5000/ferry/diamonds@sha256:", "verified registry:5000/ferry/diamonds@sha256:", "deploy to staging"} {
		if !strings.Contains(out, want) {
			t.Errorf("run's report lacks %q", want)
		}
	}
}

// The embedded MLflow server (the test bed's build of the official image)
// starts as a service and answers its REST API, tunnelled to the host.
func TestMlflowServiceAnswers(t *testing.T) {
	e := testbedEnv(t)
	url := upMlflow(t, e, "ferry-mlflow-e2e-"+nonce(t))
	resp, err := http.Get(url + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"Default"`) && !strings.Contains(string(body), `"name": "Default"`) {
		t.Errorf("get-by-name Default = %d %s", resp.StatusCode, body)
	}
}
