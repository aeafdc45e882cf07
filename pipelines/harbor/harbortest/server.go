package harbortest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// BasePath is where Harbor serves its v2.0 API.
const BasePath = "/api/v2.0"

// Server is a fake Harbor. Its zero value is not usable: call New.
type Server struct {
	URL string // base URL without /api/v2.0, e.g. http://127.0.0.1:PORT

	srv        *httptest.Server
	user, pass string

	mu        sync.Mutex
	nextID    int64
	projects  map[string]*project // by name
	policies  map[int64]*Policy
	artifacts map[string][]*artifact // by project + "/" + repository
	exchanges []Exchange
}

// Exchange is one request the fake answered, kept for the contract test.
type Exchange struct {
	Method       string
	Route        string // the swagger path template that matched; "" if none
	Query        url.Values
	Header       http.Header
	RequestBody  []byte
	Status       int
	ResponseBody []byte
}

// New starts a fake Harbor on a kernel-chosen loopback port that accepts one
// account. It holds the project "library" (ID 1), as a fresh Harbor does.
func New(username, password string) *Server {
	s := &Server{
		user: username, pass: password, nextID: 1,
		projects:  map[string]*project{},
		policies:  map[int64]*Policy{},
		artifacts: map[string][]*artifact{},
	}
	s.addProject("library", true)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Exchanges returns every request answered so far.
func (s *Server) Exchanges() []Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Exchange(nil), s.exchanges...)
}

func (s *Server) id() int64 { s.nextID++; return s.nextID - 1 }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	var reqBody bytes.Buffer
	_, _ = reqBody.ReadFrom(r.Body)
	r.Body.Close()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	route, params, methodOK := match(r)
	switch {
	case !s.authorized(r):
		writeError(rec, http.StatusUnauthorized, "UNAUTHORIZED", "unauthorized")
	case route == nil && methodOK:
		writeError(rec, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "%s is not allowed here", r.Method)
	case route == nil:
		writeError(rec, http.StatusNotFound, "NOT_FOUND", "no such API route in the fake Harbor: %s", r.URL.Path)
	default:
		s.mu.Lock()
		route.handle(s, rec, r, params, reqBody.Bytes())
		s.mu.Unlock()
	}
	ex := Exchange{Method: r.Method, Query: r.URL.Query(), Header: r.Header.Clone(),
		RequestBody: reqBody.Bytes(), Status: rec.status, ResponseBody: rec.body.Bytes()}
	if route != nil {
		ex.Route = route.Path
	}
	ex.Header.Del("Authorization")
	s.mu.Lock()
	s.exchanges = append(s.exchanges, ex)
	s.mu.Unlock()
}

func (s *Server) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(u), []byte(s.user)) == 1 &&
		subtle.ConstantTimeCompare([]byte(p), []byte(s.pass)) == 1
}

// match finds the route for r. Like Harbor, it routes on the decoded path, so
// a repository name with a slash must arrive encoded twice (a%252Fb); its
// repository_name parameter is then decoded once more.
func match(r *http.Request) (*Route, map[string]string, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, BasePath+"/")
	if !ok {
		return nil, nil, false
	}
	got := strings.Split(rest, "/")
	pathMatched := false
	for i := range routes {
		rt := &routes[i]
		want := strings.Split(strings.TrimPrefix(rt.Path, "/"), "/")
		if len(want) != len(got) {
			continue
		}
		params := map[string]string{}
		for j, seg := range want {
			if strings.HasPrefix(seg, "{") {
				params[strings.Trim(seg, "{}")] = got[j]
			} else if seg != got[j] {
				params = nil
				break
			}
		}
		if params == nil {
			continue
		}
		if name, ok := params["repository_name"]; ok {
			if params["repository_name"], ok = unescape(name); !ok {
				continue
			}
		}
		pathMatched = true
		if rt.Method == r.Method {
			return rt, params, true
		}
	}
	return nil, nil, pathMatched
}

func unescape(s string) (string, bool) {
	u, err := url.PathUnescape(s)
	return u, err == nil
}

// recorder keeps what was written for the exchange log.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, format string, args ...any) {
	writeJSON(w, status, Errors{Errors: []Error{{Code: code, Message: fmt.Sprintf(format, args...)}}})
}

// decode reads a JSON body into v, refusing fields v does not have.
func decode(w http.ResponseWriter, body []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "invalid request body: %v", err)
		return false
	}
	return true
}

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }
