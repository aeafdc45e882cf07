package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckHost(t *testing.T) {
	all := func(string) (string, error) { return "/usr/bin/x", nil }
	fs := filepath.Join(t.TempDir(), "filesystems")
	if err := os.WriteFile(fs, []byte("nodev\toverlay\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkHost(0, all, fs); err != nil {
		t.Errorf("checkHost(root, all present) = %v", err)
	}
	tests := []struct {
		name     string
		euid     int
		lookPath func(string) (string, error)
		fsys     string
		want     string
	}{
		{"not root", 1000, all, "overlay", "must run as root"},
		{"missing packages", 0, func(c string) (string, error) {
			if c == "mmdebstrap" || c == "docker-registry" {
				return "", errors.New("not found")
			}
			return "/x", nil
		}, "overlay", "mmdebstrap (package mmdebstrap), docker-registry (package docker-registry); `make deps`"},
		{"no overlay", 0, all, "nodev\tproc\n", "modprobe overlay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "fs")
			os.WriteFile(p, []byte(tt.fsys), 0o644)
			err := checkHost(tt.euid, tt.lookPath, p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checkHost() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"/a/b:c":         "/a/b:c",
		"unix:///x.sock": "unix:///x.sock",
		"a b":            "'a b'",
		"it's":           `'it'\''s'`,
		"":               "''",
	}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEmbeddedSpecParses(t *testing.T) {
	tb, err := newTestbed()
	if err != nil {
		t.Fatalf("newTestbed() = %v", err)
	}
	if _, err := tb.spec.Image("python:3.11-slim-bookworm"); err != nil {
		t.Error(err)
	}
}
