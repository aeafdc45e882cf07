package catalog

import (
	"strings"
	"testing"
)

const digest = "sha256:0000000000000000000000000000000000000000000000000000000000000001"

func TestBuiltInPinsArePinned(t *testing.T) {
	for name, ref := range Pins {
		if _, gap := Unresolved[name]; gap {
			if strings.Contains(ref, "@") {
				t.Errorf("Pins[%s] = %q has a digest but is listed in Unresolved: remove it there", name, ref)
			}
			continue
		}
		if !pinned.MatchString(ref) {
			t.Errorf("Pins[%s] = %q, want name:tag@sha256:<64 hex> (or an entry in Unresolved saying why not)", name, ref)
		}
	}
	for name := range Unresolved {
		if _, ok := Pins[name]; !ok {
			t.Errorf("Unresolved[%s] names no pin", name)
		}
	}
}

func TestLockOverridesPin(t *testing.T) {
	lock := `{"docker.io/library/python:3.11-slim-bookworm": "docker.io/library/python:3.11-slim-bookworm@` + digest + `"}`
	c, err := New().WithLock([]byte(lock))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Ref("python"); got != "docker.io/library/python:3.11-slim-bookworm@"+digest {
		t.Errorf("Ref(python) = %s, want the locked digest", got)
	}
	if got, _ := c.Ref("golang"); got != Pins["golang"] {
		t.Errorf("Ref(golang) = %s, want the built-in pin", got)
	}
	table := c.Table()
	if !strings.Contains(table, "python     lock") || !strings.Contains(table, "golang     pinned") {
		t.Errorf("Table() =\n%s", table)
	}
}

func TestBadLocks(t *testing.T) {
	tests := []struct{ name, lock, want string }{
		{"not json", `python: x`, "reading image lock"},
		{"floating tag", `{"docker.io/library/python:3": "docker.io/library/python:3"}`, "is not pinned"},
		{"short digest", `{"docker.io/library/python:3": "docker.io/library/python:3@sha256:abc"}`, "is not pinned"},
		{"key mismatch", `{"docker.io/library/python:3": "docker.io/library/python:4@` + digest + `"}`, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New().WithLock([]byte(tt.lock))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("WithLock(%s) = %v, want an error containing %q", tt.lock, err, tt.want)
			}
		})
	}
}

func TestUnknownName(t *testing.T) {
	_, err := New().Ref("node")
	if err == nil || !strings.Contains(err.Error(), `"node"`) || !strings.Contains(err.Error(), "cosign, golang, k3s, mlflow, python, registry, trivy") {
		t.Errorf("Ref(node) = %v, want an error naming node and the known images", err)
	}
}
