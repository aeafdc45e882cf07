package main

import (
	"github.com/ferryml/ferry/ci/internal/dagger"
)

// craneVersion pins go-containerregistry's crane, which talks to registries
// that only containers can reach (services of the embedded default).
const craneVersion = "v0.22.1"

// Registry returns an ephemeral OCI registry (the pinned registry:2 image) as
// a service: the embedded default's place to publish images.
func (m *Ferry) Registry() (*dagger.Service, error) {
	ctr, err := m.image("registry")
	if err != nil {
		return nil, err
	}
	return ctr.
		WithExposedPort(5000).
		AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true}), nil
}

// crane returns a container with crane installed, built from source
// through the configured Go module proxy (cached).
func (m *Ferry) crane() (*dagger.Container, error) {
	golang, err := m.Golang()
	if err != nil {
		return nil, err
	}
	bin := golang.
		WithEnvVariable("CGO_ENABLED", "0").
		WithExec([]string{"go", "install", "github.com/google/go-containerregistry/cmd/crane@" + craneVersion}).
		File("/go/bin/crane")
	return golang.WithFile("/usr/local/bin/crane", bin), nil
}
