// Ferry is an ML CI/CD pipeline as code: data checks, training, MLflow
// registration, quality gates, a scanned and signed MLServer image, and
// Kubernetes deploys, as one graph of containerized steps.
//
// Every step runs the same from a terminal (`dagger call …`), in CI, and from
// another module. The logic lives in plain Go packages (pipelines/); the
// functions here compose containers around it.
package main

import (
	"context"
	"fmt"

	"github.com/ferryml/ferry/ci/internal/dagger"
	"github.com/ferryml/ferry/pipelines/catalog"
)

// Ferry is the pipeline. Its constructor says where containers get packages
// and images from; the defaults are the public registries.
type Ferry struct {
	// Python package index pip uses in containers ("" means PyPI).
	PipIndexURL string
	// Go module proxy for Go builds in containers ("" means Go's default).
	Goproxy string
	// Trivy's vulnerability database, repository:tag or repository@digest.
	TrivyDBRepository string
	// Registries (host:port) that speak plain HTTP.
	InsecureRegistries []string
	// +private
	Lock string
	// +private
	Source *dagger.Directory
}

func New(
	ctx context.Context,
	// Python package index (PEP 503 simple API) pip uses inside containers,
	// e.g. an internal mirror. Empty: PyPI.
	// +optional
	pipIndexUrl string,
	// Go module proxy for Go builds inside containers. Empty: Go's default.
	// +optional
	goproxy string,
	// Image lock overriding the built-in image pins: a JSON object mapping
	// "name:tag" to "name:tag@sha256:…" (the offline test bed writes one).
	// +optional
	imageLock *dagger.File,
	// Trivy's vulnerability database (an OCI artifact), as repository:tag
	// (resolved to a digest at scan time) or repository@sha256:…
	// +default="ghcr.io/aquasecurity/trivy-db:2"
	trivyDbRepository string,
	// Registries (host:port) that speak plain HTTP, e.g. an internal mirror
	// or the test bed's registry. Scans, signatures and pushes to them skip TLS.
	// +optional
	insecureRegistries []string,
	// This module's own repository: its pipeline tool, models and manifests
	// are built from it. The default (this module's source) is right unless
	// you are testing a modified ferry.
	// +defaultPath="/"
	// +ignore=["*", "!go.mod", "!go.sum", "!pipelines/**", "!models/**", "!manifests/**", "**/*_test.go", "pipelines/**/testdata/**", "**/__pycache__/**", "**/.pytest_cache/**"]
	source *dagger.Directory,
) (*Ferry, error) {
	m := &Ferry{PipIndexURL: pipIndexUrl, Goproxy: goproxy, Source: source,
		TrivyDBRepository: trivyDbRepository, InsecureRegistries: insecureRegistries}
	if m.TrivyDBRepository == "" {
		m.TrivyDBRepository = defaultTrivyDB
	}
	if imageLock != nil {
		data, err := imageLock.Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading image lock: %w", err)
		}
		if _, err := catalog.New().WithLock([]byte(data)); err != nil {
			return nil, err
		}
		m.Lock = data
	}
	return m, nil
}

// Images lists the third-party images the pipeline runs, pinned by digest,
// and whether each pin comes from the built-in catalog or the image lock.
func (m *Ferry) Images() (string, error) {
	c, err := m.catalog()
	if err != nil {
		return "", err
	}
	return c.Table(), nil
}

func (m *Ferry) catalog() (*catalog.Catalog, error) {
	c := catalog.New()
	if m.Lock == "" {
		return c, nil
	}
	return c.WithLock([]byte(m.Lock))
}

// imageRef returns the pinned reference of the image with the logical name.
func (m *Ferry) imageRef(name string) (string, error) {
	c, err := m.catalog()
	if err != nil {
		return "", err
	}
	return c.Ref(name)
}

// image returns a container of the pinned image with the logical name.
func (m *Ferry) image(name string) (*dagger.Container, error) {
	ref, err := m.imageRef(name)
	if err != nil {
		return nil, err
	}
	return dag.Container().From(ref), nil
}
