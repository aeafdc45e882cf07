package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	deployDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	deployImage  = "registry.test/diamonds@" + deployDigest
)

func deployArgs(out string, extra ...string) []string {
	return append([]string{"--kubeconfig", filepath.Join(out, "no-such-kubeconfig"), "--env", "staging",
		"--manifests", "../../../manifests", "--image", deployImage, "--verified-digest", deployDigest,
		"--out", out}, extra...)
}

func TestDeployRunRefusesBadInput(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no image", []string{"--kubeconfig", "k", "--env", "staging", "--verified-digest", deployDigest, "--out", out, "--manifests", "m"}, "--image is required"},
		{"no verified digest", []string{"--kubeconfig", "k", "--env", "staging", "--image", deployImage, "--out", out, "--manifests", "m"}, "--verified-digest is required"},
		{"other digest", deployArgs(out, "--verified-digest", "sha256:"+strings.Repeat("1", 64)), "verified digest"},
		{"tag", append(deployArgs(out), "--image", "registry.test/diamonds:v2"), "has no digest"},
		{"manifests and rendered", deployArgs(out, "--rendered", "x.yaml"), "either --manifests"},
		{"request without model", deployArgs(out, "--request", "r.json"), "--request needs --model"},
		{"argument", deployArgs(out, "extra"), "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout strings.Builder
			err := deployRun(context.Background(), tt.args, &stdout)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("deployRun(%s) = %v, want a usage error containing %q", tt.name, err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out, "deploy.json")); !os.IsNotExist(err) {
		t.Errorf("deploy.json written for refused input (stat: %v)", err)
	}
}

// Production without approval is refused after rendering the real manifests, before the
// cluster is contacted (the kubeconfig does not even exist), and the report says why.
func TestDeployRunProductionNeedsApproval(t *testing.T) {
	out := t.TempDir()
	kc := filepath.Join(out, "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := deployArgs(out, "--env", "production", "--kubeconfig", kc)
	var stdout strings.Builder
	err := deployRun(context.Background(), args, &stdout)
	if err == nil || !strings.Contains(err.Error(), "--approve") {
		t.Fatalf("deployRun(production, no --approve) = %v, want an error saying to pass --approve", err)
	}
	var rep struct {
		OK     bool   `json:"ok"`
		Env    string `json:"env"`
		Reason string `json:"reason"`
		Steps  []struct{ Name, Result string }
	}
	b, err := os.ReadFile(filepath.Join(out, "deploy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Env != "production" || len(rep.Steps) != 1 || rep.Steps[0].Name != "validate" || !strings.Contains(rep.Reason, "approval") {
		t.Errorf("deploy.json = %s, want one failed validate step about the approval", b)
	}
	if md, err := os.ReadFile(filepath.Join(out, "deploy.md")); err != nil || !strings.Contains(string(md), "Deploy to production: failed") {
		t.Errorf("deploy.md = %q, %v; want a failed production deploy", md, err)
	}
}
