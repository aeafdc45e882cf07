package mlflowtest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns one server for the whole test binary, started on first use, so a
// package's tests pay for one server start. Tests sharing it must use names of their own
// (experiments, models). Call CloseShared from TestMain after m.Run; if a binary does not,
// the server's watchdog still stops it when the binary exits.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = Launch() })
	if shared.err != nil {
		fail(t, shared.err)
	}
	t.Cleanup(func() { shared.srv.logOnFailure(t) })
	return shared.srv
}

// CloseShared stops the shared server, if one was started.
func CloseShared() error {
	if shared.srv == nil {
		return nil
	}
	return shared.srv.Close()
}

// WithoutRoutes returns the URL of a proxy to s that answers 404 with an HTML page, as a
// server without those routes does, for every request path that starts with one of
// prefixes (e.g. "/api/2.0/mlflow/registered-models/alias": an MLflow older than 2.3).
func (s *Server) WithoutRoutes(t testing.TB, prefixes ...string) string {
	t.Helper()
	target, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range prefixes {
			if strings.HasPrefix(r.URL.Path, p) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte("<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"))
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}
