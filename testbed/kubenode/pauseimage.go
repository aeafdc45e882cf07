package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// buildPauseImage builds the sandbox image: one layer holding this very
// executable as /pause (it pauses when called by that name, and serves HTTP
// as `/pause serve`), so the node needs no registry to start pods.
func buildPauseImage(exe []byte) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: int64(len(exe)), Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("writing pause layer: %w", err)
	}
	if _, err := tw.Write(exe); err != nil {
		return nil, fmt.Errorf("writing pause layer: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing pause layer: %w", err)
	}
	layerTar := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		return nil, fmt.Errorf("making pause layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("making pause image: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("making pause image: %w", err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = []string{"/pause"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("making pause image: %w", err)
	}
	return img, nil
}

// writePauseImage writes the pause image as a docker archive tagged ref,
// the form `ctr images import` takes.
func writePauseImage(path, ref string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("pause image name %q: %w (pass --pause-image NAME:TAG)", ref, err)
	}
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		return fmt.Errorf("reading own executable for the pause image: %w", err)
	}
	img, err := buildPauseImage(exe)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating images folder: %w", err)
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return fmt.Errorf("writing pause image archive: %w", err)
	}
	return nil
}
