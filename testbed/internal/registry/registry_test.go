package registry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFor(t *testing.T) {
	r, err := For("ghcr.io")
	if err != nil || r.Port != 5002 {
		t.Errorf("For(ghcr.io) = %+v, %v", r, err)
	}
	if _, err := For("gcr.io"); err == nil || !strings.Contains(err.Error(), "docker.io, ghcr.io, quay.io") {
		t.Errorf("For(gcr.io) = %v, want an error listing the mirrors", err)
	}
}

func TestWriteConfig(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteConfig(All[1], netip.MustParseAddr("10.213.0.2"), filepath.Join(dir, "data"), dir, "tok")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{"addr: 10.213.0.2:5001", "rootdirectory: " + filepath.Join(dir, "data"), `X-Ferry-Testbed: ["tok"]`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("config lacks %q:\n%s", want, data)
		}
	}
}

// Ready accepts only the registry that carries our token: another server on
// the same address must not pass for ours.
func TestReadyChecksIdentity(t *testing.T) {
	ours := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(TokenHeader, "tok")
	}))
	defer ours.Close()
	theirs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer theirs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := Ready(ctx, strings.TrimPrefix(ours.URL, "http://"), "tok"); err != nil {
		t.Errorf("Ready(ours) = %v", err)
	}
	if err := Ready(ctx, strings.TrimPrefix(theirs.URL, "http://"), "tok"); err == nil || !strings.Contains(err.Error(), "not the one") {
		t.Errorf("Ready(theirs) = %v, want an identity error", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if err := Ready(short, "127.0.0.1:1", "tok"); err == nil {
		t.Error("Ready(nothing listening) = nil")
	}
}
