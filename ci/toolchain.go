package main

import (
	"net/url"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// Python returns the pinned Python image with pip pointed at the configured
// package index and a pip download cache shared between runs.
func (m *Ferry) Python() (*dagger.Container, error) {
	ctr, err := m.image("python")
	if err != nil {
		return nil, err
	}
	ctr = ctr.
		WithMountedCache("/root/.cache/pip", dag.CacheVolume("ferry-pip")).
		WithEnvVariable("PIP_DISABLE_PIP_VERSION_CHECK", "1").
		WithEnvVariable("PIP_ROOT_USER_ACTION", "ignore")
	if m.PipIndexURL != "" {
		ctr = ctr.WithEnvVariable("PIP_INDEX_URL", m.PipIndexURL)
		// pip wants plain-HTTP indexes declared; an https index keeps its
		// certificate checks.
		if u, err := url.Parse(m.PipIndexURL); err == nil && u.Scheme == "http" {
			ctr = ctr.WithEnvVariable("PIP_TRUSTED_HOST", u.Host)
		}
	}
	return ctr, nil
}

// Golang returns the pinned Go image with the configured module proxy and
// module and build caches shared between runs.
func (m *Ferry) Golang() (*dagger.Container, error) {
	ctr, err := m.image("golang")
	if err != nil {
		return nil, err
	}
	ctr = ctr.
		WithMountedCache("/go/pkg/mod", dag.CacheVolume("ferry-gomod")).
		WithMountedCache("/root/.cache/go-build", dag.CacheVolume("ferry-gobuild"))
	if m.Goproxy != "" {
		ctr = ctr.WithEnvVariable("GOPROXY", m.Goproxy)
	}
	return ctr, nil
}
