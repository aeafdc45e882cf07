package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestPauseImageArchive writes the archive ctr imports and reads it back:
// tagged as asked, entrypoint /pause, and /pause is this executable.
func TestPauseImageArchive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pause.tar")
	const ref = "registry.k8s.io/pause:3.10"
	if err := writePauseImage(path, ref); err != nil {
		t.Fatalf("writePauseImage error: %v", err)
	}
	tag, _ := name.NewTag(ref)
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatalf("archive has no image %s: %v", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cf.Config.Entrypoint, " "); got != "/pause" || cf.OS != "linux" {
		t.Errorf("config = entrypoint %q os %q, want /pause linux", got, cf.OS)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d (%v), want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != "pause" || hdr.Mode&0o111 == 0 {
		t.Fatalf("first entry = %+v (%v), want executable pause", hdr, err)
	}
	got, _ := io.ReadAll(tr)
	self, _ := os.ReadFile("/proc/self/exe")
	if !bytes.Equal(got, self) {
		t.Errorf("/pause is %d bytes, want this executable's %d", len(got), len(self))
	}
	// ctr reads the docker archive manifest for the name to tag.
	f, _ := os.Open(path)
	defer f.Close()
	r := tar.NewReader(f)
	for {
		h, err := r.Next()
		if err != nil {
			t.Fatal("no manifest.json in archive")
		}
		if h.Name != "manifest.json" {
			continue
		}
		var m []struct{ RepoTags []string }
		if err := json.NewDecoder(r).Decode(&m); err != nil || len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != ref {
			t.Errorf("manifest.json = %+v (%v), want RepoTags [%s]", m, err, ref)
		}
		break
	}
	if err := writePauseImage(path, "Not A Ref"); err == nil || !strings.Contains(err.Error(), "--pause-image") {
		t.Errorf("writePauseImage(bad name) error = %v, want one naming --pause-image", err)
	}
}

// TestCNIConfig checks the pod network config is JSON for the node's /24.
func TestCNIConfig(t *testing.T) {
	text, err := cniConfig("10.42.0.0/16", "/data/ipam")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Plugins []struct {
			Type string
			IPAM struct {
				Ranges [][]struct{ Subnet string }
			}
		}
	}
	if err := json.Unmarshal([]byte(text), &c); err != nil {
		t.Fatalf("cniConfig is not JSON: %v\n%s", err, text)
	}
	if len(c.Plugins) != 2 || c.Plugins[0].Type != "bridge" || c.Plugins[1].Type != "portmap" ||
		c.Plugins[0].IPAM.Ranges[0][0].Subnet != "10.42.0.0/24" {
		t.Errorf("cniConfig = %+v, want bridge on 10.42.0.0/24 then portmap", c)
	}
	if _, err := cniConfig("10.42.0.0/25", "/x"); err == nil {
		t.Error("cniConfig(/25) error = nil, want one asking for /24 or shorter")
	}
}
