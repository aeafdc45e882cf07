package relay

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
)

// forward relays a GET or HEAD to u, streaming the answer. Successful
// answers for immutable content are kept in (and later served from) the cache.
func (h *Handler) forward(w http.ResponseWriter, r *http.Request, u *url.URL, immutable bool) {
	if u.RawQuery == "" {
		u.RawQuery = r.URL.RawQuery
	}
	if immutable && h.cache != nil && h.cache.serve(w, r, u) {
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, k := range []string{"Accept", "Range", "If-None-Match", "If-Modified-Since", "User-Agent"} {
		if v := r.Header.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := h.cfg.Client.Do(req)
	if err != nil {
		h.upstreamFailed(w, u, err)
		return
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control", "Content-Range", "Accept-Ranges"} {
		if v := resp.Header.Get(k); v != "" {
			w.Header().Set(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method == http.MethodHead {
		return
	}
	cacheable := immutable && h.cache != nil && resp.StatusCode == http.StatusOK && r.Header.Get("Range") == ""
	if !cacheable {
		_, _ = io.Copy(w, resp.Body)
		return
	}
	h.cache.copyAndKeep(w, resp, u)
}

// diskCache keeps immutable downloads by a hash of their URL.
type diskCache struct{ dir string }

func (c *diskCache) path(u *url.URL) string {
	sum := sha256.Sum256([]byte(u.String()))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(c.dir, name[:2], name)
}

func (c *diskCache) serve(w http.ResponseWriter, r *http.Request, u *url.URL) bool {
	f, err := os.Open(c.path(u))
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.Header().Set("X-Ferry-Relay-Cache", "hit")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, f)
	}
	return true
}

// copyAndKeep streams resp to w and, when the whole body arrived with the
// announced length, keeps it in the cache (written aside, then renamed).
func (c *diskCache) copyAndKeep(w http.ResponseWriter, resp *http.Response, u *url.URL) {
	dst := c.path(u)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		_, _ = io.Copy(w, resp.Body)
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".partial-*")
	if err != nil {
		_, _ = io.Copy(w, resp.Body)
		return
	}
	n, copyErr := io.Copy(io.MultiWriter(w, tmp), resp.Body)
	closeErr := tmp.Close()
	complete := copyErr == nil && closeErr == nil && (resp.ContentLength < 0 || n == resp.ContentLength)
	if !complete {
		_ = os.Remove(tmp.Name())
		return
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		_ = os.Remove(tmp.Name())
	}
}
