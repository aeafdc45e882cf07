package relay

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// upstream stands in for a Go proxy, a simple index and a file host in one
// server; hits counts requests per path.
func upstream(t *testing.T, hits map[string]*atomic.Int32) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := hits[r.URL.Path]; ok {
			c.Add(1)
		}
		switch r.URL.Path {
		case "/gp/github.com/google/uuid/@v/v1.6.0.mod":
			io.WriteString(w, "module github.com/google/uuid\n")
		case "/gp/github.com/google/uuid/@v/list":
			io.WriteString(w, "v1.6.0\n")
		case "/simple/six/":
			if !strings.Contains(r.Header.Get("Accept"), "html") {
				t.Errorf("index asked with Accept %q, want HTML", r.Header.Get("Accept"))
			}
			host := strings.TrimPrefix(srv.URL, "https://")
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<a href="https://`+host+`/packages/six-1.16.0.whl#sha256=abc" data-dist-info-metadata="sha256=def">six</a>`+
				`<a href="../../packages/rel.whl">rel</a>`)
		case "/packages/six-1.16.0.whl":
			io.WriteString(w, "wheel bytes")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newRelay(t *testing.T, up *httptest.Server, cache string) *httptest.Server {
	t.Helper()
	gp, _ := url.Parse(up.URL + "/gp")
	pp, _ := url.Parse(up.URL + "/simple")
	h, err := New(Config{GoProxy: gp, PyPI: pp, CacheDir: cache, Token: "tok", Client: up.Client()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestGoProxy(t *testing.T) {
	hits := map[string]*atomic.Int32{"/gp/github.com/google/uuid/@v/v1.6.0.mod": {}, "/gp/github.com/google/uuid/@v/list": {}}
	up := upstream(t, hits)
	r := newRelay(t, up, t.TempDir())
	for i := 0; i < 2; i++ {
		code, body, _ := get(t, r.URL+"/go/github.com/google/uuid/@v/v1.6.0.mod")
		if code != 200 || body != "module github.com/google/uuid\n" {
			t.Fatalf("GET .mod = %d %q", code, body)
		}
		get(t, r.URL+"/go/github.com/google/uuid/@v/list")
	}
	if n := hits["/gp/github.com/google/uuid/@v/v1.6.0.mod"].Load(); n != 1 {
		t.Errorf("upstream .mod requests = %d, want 1 (the second from the cache)", n)
	}
	if n := hits["/gp/github.com/google/uuid/@v/list"].Load(); n != 2 {
		t.Errorf("upstream list requests = %d, want 2 (a version list is never cached)", n)
	}
	if code, _, _ := get(t, r.URL+"/go/github.com/nope/@v/v9.9.9.mod"); code != 404 {
		t.Errorf("GET missing module = %d, want the upstream's 404", code)
	}
}

func TestIndexLinksPointBackAtRelay(t *testing.T) {
	up := upstream(t, map[string]*atomic.Int32{})
	r := newRelay(t, up, "")
	code, body, _ := get(t, r.URL+"/pypi/simple/six/")
	host := strings.TrimPrefix(up.URL, "https://")
	want := `<a href="/pypi/x/` + host + `/packages/six-1.16.0.whl#sha256=abc" data-dist-info-metadata="sha256=def">six</a><a href="../../packages/rel.whl">rel</a>`
	if code != 200 || body != want {
		t.Fatalf("GET /pypi/simple/six/ = %d\n%s\nwant\n%s", code, body, want)
	}
	code, body, _ = get(t, r.URL+"/pypi/x/"+host+"/packages/six-1.16.0.whl")
	if code != 200 || body != "wheel bytes" {
		t.Errorf("GET rewritten file link = %d %q, want the wheel", code, body)
	}
}

func TestRelayRefusesWhatItDoesNotServe(t *testing.T) {
	up := upstream(t, map[string]*atomic.Int32{})
	r := newRelay(t, up, "")
	if code, _, _ := get(t, r.URL+"/etc/passwd"); code != 404 {
		t.Errorf("GET unknown path = %d, want 404", code)
	}
	resp, err := http.Post(r.URL+"/go/x", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", resp.StatusCode)
	}
	if _, body, _ := get(t, r.URL+"/__ferry/id"); body != "tok" {
		t.Errorf("id = %q, want the token", body)
	}
}

func TestImmutable(t *testing.T) {
	tests := map[string]bool{
		"/go/m/@v/v1.0.0.zip":  true,
		"/go/m/@v/v1.0.0.info": true,
		"/go/m/@v/list":        false,
		"/go/m/@latest":        false,
		"/go/sumdb/x/lookup/m": false,
	}
	for p, want := range tests {
		if got := goImmutable(p); got != want {
			t.Errorf("goImmutable(%q) = %v, want %v", p, got, want)
		}
	}
}
