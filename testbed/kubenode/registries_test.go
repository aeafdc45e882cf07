package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRegistriesHostsFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "registries.yaml")
	writeFile(t, path, `mirrors:
  "registry:5000":
    endpoint: ["http://registry:5000"]
  docker.io:
    endpoint: ["http://registry:5000", "https://mirror.example/"]
configs:
  "mirror.example":
    tls:
      insecure_skip_verify: true
      ca_file: /ca.pem
  "private:443":
    auth:
      username: robot
      password: s3cret
`)
	r, err := loadRegistries(path)
	if err != nil {
		t.Fatalf("loadRegistries error: %v", err)
	}
	certs := filepath.Join(dir, "certs.d")
	if _, err := r.writeHostsFiles(certs); err != nil {
		t.Fatalf("writeHostsFiles error: %v", err)
	}
	tests := []struct {
		host string
		want []string
	}{
		{"registry:5000", []string{`server = "https://registry:5000"`, `[host."http://registry:5000"]`, `capabilities = ["pull", "resolve"]`}},
		{"docker.io", []string{`server = "https://registry-1.docker.io"`, `[host."http://registry:5000"]`,
			`[host."https://mirror.example"]`, `  skip_verify = true`, `  ca = "/ca.pem"`}},
		{"private:443", []string{`server = "https://private:443"`}},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join(certs, tt.host, "hosts.toml"))
		if err != nil {
			t.Errorf("hosts.toml for %s: %v", tt.host, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("hosts.toml for %s =\n%s\nwant it to contain %s", tt.host, b, w)
			}
		}
	}
	// Mirrors are tried in the order given.
	b, _ := os.ReadFile(filepath.Join(certs, "docker.io", "hosts.toml"))
	if i, j := strings.Index(string(b), "registry:5000"), strings.Index(string(b), "mirror.example"); i > j {
		t.Errorf("docker.io hosts.toml lists mirror.example before registry:5000:\n%s", b)
	}
	auth := r.authTOML()
	for _, w := range []string{`registry.configs."private:443".auth]`, `username = "robot"`, `password = "s3cret"`} {
		if !strings.Contains(auth, w) {
			t.Errorf("authTOML() =\n%s\nwant it to contain %s", auth, w)
		}
	}
}

func TestRegistriesErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "registries.yaml")
	tests := []struct{ text, want string }{
		{"mirrors:\n  registry:5000:\n    endpoints: [http://x]\n", "endpoints"},
		{"mirrors:\n  \"registry:5000\": {endpoint: []}\n", "endpoint is empty"},
		{"mirrors:\n  \"registry:5000\": {endpoint: [\"registry:5000\"]}\n", "http:// or https://"},
	}
	for _, tt := range tests {
		writeFile(t, path, tt.text)
		if _, err := loadRegistries(path); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("loadRegistries(%q) error = %v, want one saying %q", tt.text, err, tt.want)
		}
	}
	r, err := loadRegistries(filepath.Join(dir, "absent.yaml"))
	if err != nil || len(r.Mirrors)+len(r.Configs) != 0 {
		t.Errorf("loadRegistries(absent) = %+v, %v, want empty, nil", r, err)
	}
}
