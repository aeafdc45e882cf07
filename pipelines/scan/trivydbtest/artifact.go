package trivydbtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types and annotations of the published DB artifact. Trivy v0.74.0
// (pkg/db, pkg/oci) requires one layer of LayerMediaType and names the file
// after the layer's title annotation; the artifact type and the empty config
// follow the manifest of ghcr.io/aquasecurity/trivy-db:2 (pushed with oras).
const (
	LayerMediaType  types.MediaType = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
	ArtifactType                    = "application/vnd.aquasec.trivy.config.v1+json"
	ConfigMediaType                 = types.OCIEmptyJSON
	TitleAnnotation                 = "org.opencontainers.image.title"
	ArchiveName                     = "db.tar.gz"
)

// Archive builds the database and packs trivy.db and metadata.json as
// db.tar.gz. The same Spec gives the same bytes.
func Archive(s Spec) ([]byte, error) {
	s = s.withDefaults()
	dir, err := os.MkdirTemp("", "trivydb-")
	if err != nil {
		return nil, fmt.Errorf("building the trivy DB: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := WriteDir(dir, s); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression) // no name, no mtime: same bytes each time
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, f := range []string{"trivy.db", "metadata.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, fmt.Errorf("packing the trivy DB: %w", err)
		}
		hdr := &tar.Header{Name: f, Mode: 0o644, Size: int64(len(b)), ModTime: s.UpdatedAt, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("packing the trivy DB: %w", err)
		}
		if _, err := tw.Write(b); err != nil {
			return nil, fmt.Errorf("packing the trivy DB: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("packing the trivy DB: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("packing the trivy DB: %w", err)
	}
	return buf.Bytes(), nil
}

// Image builds the database as the OCI artifact Trivy downloads with
// --db-repository: one db.tar.gz layer, an empty config, the trivy artifact type.
func Image(s Spec) (v1.Image, error) {
	s = s.withDefaults()
	archive, err := Archive(s)
	if err != nil {
		return nil, err
	}
	layer := static.NewLayer(archive, LayerMediaType)
	config := []byte("{}")
	configDigest, configSize, err := v1.SHA256(bytes.NewReader(config))
	if err != nil {
		return nil, err
	}
	layerDigest, err := layer.Digest()
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  ArtifactType,
		Config:        v1.Descriptor{MediaType: ConfigMediaType, Size: configSize, Digest: configDigest},
		Layers: []v1.Descriptor{{MediaType: LayerMediaType, Size: int64(len(archive)), Digest: layerDigest,
			Annotations: map[string]string{TitleAnnotation: ArchiveName}}},
		Annotations: map[string]string{"org.opencontainers.image.created": s.UpdatedAt.Format(time.RFC3339)},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&artifact{manifest: raw, config: config, layer: layer, layerDigest: layerDigest})
}

// artifact is a v1.Image with a manifest written as given (go-containerregistry's
// mutate package cannot set artifactType).
type artifact struct {
	manifest, config []byte
	layer            v1.Layer
	layerDigest      v1.Hash
}

var _ partial.CompressedImageCore = (*artifact)(nil)

func (a *artifact) RawConfigFile() ([]byte, error)      { return a.config, nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h != a.layerDigest {
		return nil, fmt.Errorf("the trivy DB artifact has no layer %s", h)
	}
	return a.layer, nil
}

// Push writes img to ref (remote.Write) and returns its manifest digest.
func Push(ctx context.Context, ref name.Reference, img v1.Image, opts ...remote.Option) (v1.Hash, error) {
	if err := remote.Write(ref, img, append(opts, remote.WithContext(ctx))...); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing the trivy DB to %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing the trivy DB to %s: %w", ref, err)
	}
	return d, nil
}
