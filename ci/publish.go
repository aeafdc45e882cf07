package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// Publish pushes a container to an OCI registry and returns its reference
// pinned by digest (address@sha256:…).
// +cache="never"
func (m *Ferry) Publish(
	ctx context.Context,
	// The container to push.
	container *dagger.Container,
	// Where to push it: registry/repository:tag.
	address string,
	// Registry user name, when the registry needs one.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
) (string, error) {
	if password != nil {
		if username == "" {
			return "", fmt.Errorf("publishing %s: a password was given without a username (set --username)", address)
		}
		container = container.WithRegistryAuth(registryHost(address), username, password)
	}
	ref, err := container.Publish(ctx, address)
	if err != nil {
		return "", fmt.Errorf("publishing %s: %w", address, err)
	}
	return ref, nil
}

// registryHost returns the registry part of an image reference, the host
// registry credentials are given for.
func registryHost(ref string) string {
	first, _, found := strings.Cut(ref, "/")
	if !found || !strings.ContainsAny(first, ".:") && first != "localhost" {
		return "docker.io"
	}
	return first
}
