// Package registry runs the test bed's OCI registries (distribution, from
// Debian's docker-registry package) inside its network namespace: one that
// pipelines publish to, and one mirror per public registry the engine pulls
// from.
package registry

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Registry is one registry process.
type Registry struct {
	// Name is "local" (where pipelines publish) or the public registry this
	// one mirrors.
	Name string `json:"name"`
	// Port it listens on in the test bed's namespace (private: fixed ports
	// cannot clash with the host's).
	Port int `json:"port"`
	// Mirror is the public registry host served, or "" for local.
	Mirror string `json:"mirror,omitempty"`
}

// All are the registries of a test bed.
var All = []Registry{
	{Name: "local", Port: 5000},
	{Name: "docker.io", Port: 5001, Mirror: "docker.io"},
	{Name: "ghcr.io", Port: 5002, Mirror: "ghcr.io"},
	{Name: "quay.io", Port: 5003, Mirror: "quay.io"},
}

// TokenHeader is a header every answer of a test bed registry carries, with
// the instance's token: proof that the registry answering is ours.
const TokenHeader = "X-Ferry-Testbed"

// For returns the mirror serving images of host (e.g. docker.io), or an
// error naming the hosts that are mirrored.
func For(host string) (Registry, error) {
	var known []string
	for _, r := range All {
		if r.Mirror != "" && r.Mirror == host {
			return r, nil
		}
		if r.Mirror != "" {
			known = append(known, r.Mirror)
		}
	}
	return Registry{}, fmt.Errorf("no mirror for registry %s (mirrored: %s)", host, strings.Join(known, ", "))
}

// Addr is the registry's host:port as seen from the host and the engine.
func (r Registry) Addr(ip netip.Addr) string {
	return netip.AddrPortFrom(ip, uint16(r.Port)).String()
}

// WriteConfig writes the distribution config for r listening on ip, with its
// storage under dataDir, and returns the config's path.
func WriteConfig(r Registry, ip netip.Addr, dataDir, confDir, token string) (string, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", err
	}
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return "", err
	}
	conf := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
  headers:
    %s: [%q]
`, dataDir, r.Addr(ip), TokenHeader, token)
	path := filepath.Join(confDir, "registry-"+r.Name+".yml")
	return path, os.WriteFile(path, []byte(conf), 0o600)
}

// Ready waits until the registry at addr answers /v2/ with token, or ctx ends.
func Ready(ctx context.Context, addr, token string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/v2/", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			switch {
			case resp.Header.Get(TokenHeader) != token:
				return fmt.Errorf("registry %s answered, but it is not the one this test bed started (another server on that address?)", addr)
			case resp.StatusCode == http.StatusOK:
				return nil
			default:
				last = fmt.Errorf("GET /v2/: %s", resp.Status)
			}
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for registry %s: %w (last: %v)", addr, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
