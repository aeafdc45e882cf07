package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseServerArgs(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, c *config)
	}{
		{"defaults", nil, func(t *testing.T, c *config) {
			if c.httpsPort != 6443 || c.kubeconfigMode != 0o600 || c.dataDir != defaultDataDir || c.bindAddress != "0.0.0.0" {
				t.Errorf("defaults = port %d mode %o dir %s bind %s", c.httpsPort, c.kubeconfigMode, c.dataDir, c.bindAddress)
			}
		}},
		{"k3s style", []string{"--disable=traefik,servicelb", "--disable", "metrics-server",
			"--write-kubeconfig-mode", "644", "--tls-san", "kube", "--tls-san=a.example,10.1.2.3",
			"--node-name=n1", "--https-listen-port", "7443", "-d", "/data"}, func(t *testing.T, c *config) {
			if want := []string{"traefik", "servicelb", "metrics-server"}; !reflect.DeepEqual(c.disable, want) {
				t.Errorf("disable = %v, want %v", c.disable, want)
			}
			if want := []string{"kube", "a.example", "10.1.2.3"}; !reflect.DeepEqual(c.tlsSANs, want) {
				t.Errorf("tlsSANs = %v, want %v", c.tlsSANs, want)
			}
			if c.kubeconfigMode != 0o644 || c.nodeName != "n1" || c.httpsPort != 7443 || c.dataDir != "/data" {
				t.Errorf("got mode %o node %s port %d dir %s", c.kubeconfigMode, c.nodeName, c.httpsPort, c.dataDir)
			}
		}},
		{"component args keep commas", []string{"--kubelet-arg=max-pods=20", "--kube-apiserver-arg", "feature-gates=A=true,B=false"},
			func(t *testing.T, c *config) {
				if got := c.extraArgs["kubelet"]; !reflect.DeepEqual(got, []string{"--max-pods=20"}) {
					t.Errorf("kubelet args = %v", got)
				}
				if got := c.extraArgs["kube-apiserver"]; !reflect.DeepEqual(got, []string{"--feature-gates=A=true,B=false"}) {
					t.Errorf("apiserver args = %v", got)
				}
			}},
		{"unknown flags warn, ignored ones do not", []string{"--flannel-backend=none", "--cluster-init",
			"--kine-tls", "--made-up", "value", "--disable-kube-proxy"}, func(t *testing.T, c *config) {
			if len(c.warnings) != 2 || !strings.Contains(c.warnings[0], "--kine-tls") || !strings.Contains(c.warnings[1], "--made-up") {
				t.Errorf("warnings = %q, want two, for --kine-tls and --made-up", c.warnings)
			}
			if !c.disableKubeProxy {
				t.Error("disableKubeProxy = false, want true")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseServerArgs(tt.args)
			if err != nil {
				t.Fatalf("parseServerArgs(%q) error: %v", tt.args, err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseServerArgsErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"stray"}, "takes only flags"},
		{[]string{"--https-listen-port=http"}, "port number"},
		{[]string{"--write-kubeconfig-mode=999"}, "octal"},
		{[]string{"--node-name"}, "needs a value"},
		{[]string{"--cluster-cidr=10.42.0.0"}, "IPv4 CIDR"},
		{[]string{"--node-ip=not-an-ip"}, "IP address"},
		{[]string{"--snapshotter=zfs"}, "overlayfs or native"},
		{[]string{"--data-dir=relative"}, "absolute"},
	}
	for _, tt := range tests {
		_, err := parseServerArgs(tt.args)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseServerArgs(%q) error = %v, want one saying %q", tt.args, err, tt.want)
		}
	}
}

func TestConfigFileArgs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("write-kubeconfig-mode: \"0644\"\ntls-san:\n  - a\n  - b\ndisable-kube-proxy: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args, err := configFileArgs(path)
	if err != nil {
		t.Fatalf("configFileArgs error: %v", err)
	}
	// The command line comes after the file and wins for single values.
	c, err := parseServerArgs(append(args, "--write-kubeconfig-mode=600"))
	if err != nil {
		t.Fatalf("parseServerArgs(%q) error: %v", args, err)
	}
	if c.kubeconfigMode != 0o600 || !reflect.DeepEqual(c.tlsSANs, []string{"a", "b"}) || !c.disableKubeProxy {
		t.Errorf("from file = mode %o sans %v no-proxy %v, want 600 [a b] true", c.kubeconfigMode, c.tlsSANs, c.disableKubeProxy)
	}
	if args, err := configFileArgs(filepath.Join(dir, "absent.yaml")); err != nil || args != nil {
		t.Errorf("configFileArgs(absent) = %v, %v, want nil, nil", args, err)
	}
	if err := os.WriteFile(path, []byte("kubelet-arg: {a: b}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := configFileArgs(path); err == nil || !strings.Contains(err.Error(), "kubelet-arg") {
		t.Errorf("configFileArgs(map value) error = %v, want one naming kubelet-arg", err)
	}
}
