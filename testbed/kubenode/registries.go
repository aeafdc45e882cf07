package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// registries is k3s's registries.yaml: mirrors say where to pull a
// registry's images from, configs hold TLS and credentials per host.
type registries struct {
	Mirrors map[string]mirror         `json:"mirrors"`
	Configs map[string]registryConfig `json:"configs"`
}

type mirror struct {
	Endpoints []string          `json:"endpoint"`
	Rewrite   map[string]string `json:"rewrite,omitempty"`
}

type registryConfig struct {
	Auth *registryAuth `json:"auth,omitempty"`
	TLS  *registryTLS  `json:"tls,omitempty"`
}

type registryAuth struct {
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identity_token,omitempty"`
}

type registryTLS struct {
	CertFile           string `json:"cert_file,omitempty"`
	KeyFile            string `json:"key_file,omitempty"`
	CAFile             string `json:"ca_file,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
}

// loadRegistries reads registries.yaml; a missing file means none.
func loadRegistries(path string) (*registries, error) {
	r := &registries{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading registries file: %w", err)
	}
	if err := yaml.UnmarshalStrict(b, r); err != nil {
		return nil, fmt.Errorf("%s: decoding (want k3s format: mirrors: {HOST: {endpoint: [URL]}}, configs: {HOST: {auth: …, tls: …}}): %w", path, err)
	}
	for host, m := range r.Mirrors {
		if len(m.Endpoints) == 0 {
			return nil, fmt.Errorf("%s: mirrors.%q: endpoint is empty (give at least one URL such as http://%s)", path, host, host)
		}
		for _, ep := range m.Endpoints {
			u, err := url.Parse(ep)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("%s: mirrors.%q: endpoint %q: want an http:// or https:// URL", path, host, ep)
			}
		}
	}
	return r, nil
}

// hostsDir is the folder containerd reads for a registry host under its
// config_path: the host as written (port included); the wildcard mirror
// "*" is containerd's "_default".
func hostsDir(host string) string {
	if host == "*" {
		return "_default"
	}
	return host
}

// writeHostsFiles writes one hosts.toml per mirrored or configured registry
// under dir (containerd's registry config_path), and returns warnings for
// what containerd 1.6 cannot do.
func (r *registries) writeHostsFiles(dir string) ([]string, error) {
	var warnings []string
	hosts := map[string]bool{}
	for h := range r.Mirrors {
		hosts[h] = true
	}
	for h := range r.Configs {
		hosts[h] = true
	}
	for h := range hosts {
		if len(r.Mirrors[h].Rewrite) > 0 {
			warnings = append(warnings, fmt.Sprintf("registries: mirrors.%q.rewrite is not supported by containerd 1.6: ignored", h))
		}
		path := filepath.Join(dir, hostsDir(h), "hosts.toml")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("creating registry hosts folder: %w", err)
		}
		if err := os.WriteFile(path, []byte(r.hostsTOML(h)), 0o600); err != nil {
			return nil, fmt.Errorf("writing registry hosts file: %w", err)
		}
	}
	return warnings, nil
}

// hostsTOML renders containerd's hosts.toml for one registry host: every
// mirror endpoint in order, then the registry itself as the fallback.
func (r *registries) hostsTOML(host string) string {
	var b strings.Builder
	if host != "*" {
		fmt.Fprintf(&b, "server = %s\n", strconv.Quote(defaultEndpoint(host)))
		if tls := r.tlsTOML(host); tls != "" {
			b.WriteString(tls)
		}
	}
	for _, ep := range r.Mirrors[host].Endpoints {
		ep = strings.TrimSuffix(ep, "/")
		fmt.Fprintf(&b, "\n[host.%s]\n  capabilities = [\"pull\", \"resolve\"]\n", strconv.Quote(ep))
		if u, err := url.Parse(ep); err == nil {
			b.WriteString(indent(r.tlsTOML(u.Host)))
		}
	}
	return b.String()
}

// tlsTOML is the hosts.toml TLS settings configs gives a host, if any.
func (r *registries) tlsTOML(host string) string {
	c, ok := r.Configs[host]
	if !ok || c.TLS == nil {
		return ""
	}
	var b strings.Builder
	if c.TLS.InsecureSkipVerify {
		b.WriteString("skip_verify = true\n")
	}
	if c.TLS.CAFile != "" {
		fmt.Fprintf(&b, "ca = %s\n", strconv.Quote(c.TLS.CAFile))
	}
	if c.TLS.CertFile != "" && c.TLS.KeyFile != "" {
		fmt.Fprintf(&b, "client = [[%s, %s]]\n", strconv.Quote(c.TLS.CertFile), strconv.Quote(c.TLS.KeyFile))
	}
	return b.String()
}

// authTOML renders the CRI plugin's per-host credentials (hosts.toml
// carries none in containerd 1.6), sorted for a stable file.
func (r *registries) authTOML() string {
	hosts := make([]string, 0, len(r.Configs))
	for h, c := range r.Configs {
		if c.Auth != nil {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	var b strings.Builder
	for _, h := range hosts {
		a := r.Configs[h].Auth
		fmt.Fprintf(&b, "\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.%s.auth]\n", strconv.Quote(h))
		for _, kv := range [][2]string{{"username", a.Username}, {"password", a.Password},
			{"auth", a.Auth}, {"identitytoken", a.IdentityToken}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, "  %s = %s\n", kv[0], strconv.Quote(kv[1]))
			}
		}
	}
	return b.String()
}

// defaultEndpoint is where containerd pulls a host's images without a
// mirror: Docker Hub's real API host, else HTTPS to the host itself.
func defaultEndpoint(host string) string {
	if host == "docker.io" {
		return "https://registry-1.docker.io"
	}
	return "https://" + host
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return "  " + strings.Join(lines, "  ") + "\n"
}
