// Package relay lets containers that reach only the host install Go modules
// and Python packages: it forwards a Go module proxy under /go/ and a PEP 503
// package index under /pypi/, rewriting the index's absolute file links so
// that downloads come back through the relay too. Immutable downloads are
// kept in a disk cache.
package relay

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config says where the relay forwards to.
type Config struct {
	// GoProxy is the upstream Go module proxy, e.g. https://proxy.golang.org.
	GoProxy *url.URL
	// PyPI is the upstream simple index, e.g. https://pypi.org/simple.
	PyPI *url.URL
	// CacheDir keeps immutable downloads; empty disables the cache.
	CacheDir string
	// Token is answered at /__ferry/id, so whoever started the relay can
	// tell it from another server on the same address.
	Token string
	// Client makes the upstream requests; nil uses a client with timeouts.
	Client *http.Client
	// Logger receives one line per upstream failure; nil discards.
	Logger *slog.Logger
}

// Handler serves the relay.
type Handler struct {
	cfg   Config
	cache *diskCache
	log   *slog.Logger
}

// New returns the relay's handler.
func New(cfg Config) (*Handler, error) {
	if cfg.GoProxy == nil || cfg.PyPI == nil {
		return nil, fmt.Errorf("relay: both upstreams are required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	h := &Handler{cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.CacheDir != "" {
		h.cache = &diskCache{dir: cfg.CacheDir}
	}
	return h, nil
}

// ServeHTTP routes /go/…, /pypi/… and /__ferry/id.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "the relay serves GET and HEAD only", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == "/__ferry/id":
		fmt.Fprint(w, h.cfg.Token)
	case strings.HasPrefix(p, "/go/"):
		h.forward(w, r, join(h.cfg.GoProxy, strings.TrimPrefix(p, "/go/")), goImmutable(p))
	case strings.HasPrefix(p, "/pypi/simple/"):
		h.simple(w, r, strings.TrimPrefix(p, "/pypi/simple/"))
	case strings.HasPrefix(p, "/pypi/x/"):
		h.external(w, r, strings.TrimPrefix(p, "/pypi/x/"))
	case strings.HasPrefix(p, "/pypi/"):
		// Relative links of an index resolve next to /pypi/simple/.
		root := *h.cfg.PyPI
		root.Path = strings.TrimSuffix(root.Path, "/simple")
		h.forward(w, r, join(&root, strings.TrimPrefix(p, "/pypi/")), false)
	default:
		http.Error(w, "unknown path: use /go/ (Go module proxy) or /pypi/simple/ (Python package index)", http.StatusNotFound)
	}
}

// goImmutable reports whether a Go proxy path names content that never
// changes (a version's .info, .mod or .zip).
func goImmutable(p string) bool {
	return strings.Contains(p, "/@v/") && !strings.HasSuffix(p, "/@v/list") &&
		(strings.HasSuffix(p, ".zip") || strings.HasSuffix(p, ".mod") || strings.HasSuffix(p, ".info"))
}

// absLink matches an absolute http(s) link in an index page's attribute.
var absLink = regexp.MustCompile(`(href|data-[a-z-]+)="https?://([A-Za-z0-9.-]+(?::\d+)?)/`)

// simple relays an index page, pointing its absolute links back at us.
func (h *Handler) simple(w http.ResponseWriter, r *http.Request, rest string) {
	u := join(h.cfg.PyPI, rest)
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Ask for HTML (PEP 503): links are then in one known attribute form.
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+html, text/html;q=0.1")
	resp, err := h.cfg.Client.Do(req)
	if err != nil {
		h.upstreamFailed(w, u, err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		h.upstreamFailed(w, u, err)
		return
	}
	body = absLink.ReplaceAll(body, []byte(`$1="/pypi/x/$2/`))
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// external relays a file an index page linked to on another host, e.g.
// files.pythonhosted.org. Only https is used upstream.
func (h *Handler) external(w http.ResponseWriter, r *http.Request, rest string) {
	host, path, ok := strings.Cut(rest, "/")
	if !ok || host == "" || strings.ContainsAny(host, "@/") {
		http.Error(w, "bad relay path", http.StatusBadRequest)
		return
	}
	u := &url.URL{Scheme: "https", Host: host, Path: "/" + path, RawQuery: r.URL.RawQuery}
	// Package files are content-addressed (their hash is in the index link).
	h.forward(w, r, u, strings.HasPrefix(path, "packages/"))
}

func (h *Handler) upstreamFailed(w http.ResponseWriter, u *url.URL, err error) {
	h.log.Warn("upstream request failed", "url", u.Redacted(), "err", err)
	http.Error(w, "relay: upstream "+u.Host+" failed: "+err.Error(), http.StatusBadGateway)
}

func join(base *url.URL, rest string) *url.URL {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + rest
	u.RawPath = ""
	return &u
}
