package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// The predicate types of the two attestations every released image carries.
const (
	sbomType    = "cyclonedx"
	lineageType = "https://ferry.dev/attestations/lineage/v1"
)

// RegistryAuth is how cosign reaches the registry an image is in.
type registryAuth struct {
	username string
	password *dagger.Secret
	// A registry started as a service, bound under its host name.
	service *dagger.Service
	host    string
}

// Sign signs an image by digest with cosign and a key pair (production
// option: keyless signing with an OIDC identity, see the README). The
// signature goes to the image's repository; nothing goes to a transparency
// log unless --tlog is set.
// +cache="never"
func (m *Ferry) Sign(
	ctx context.Context,
	// The image, as registry/repository@sha256:…
	image string,
	// cosign private key (PEM, as `cosign generate-key-pair` writes it).
	key *dagger.Secret,
	// Password of the private key.
	// +optional
	keyPassword *dagger.Secret,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
) (string, error) {
	return m.sign(ctx, image, key, keyPassword, registryAuth{username: username, password: password})
}

// Attest attaches a signed in-toto attestation to an image by digest: the
// SBOM (--type cyclonedx) or the pipeline's lineage record (--type
// https://ferry.dev/attestations/lineage/v1), or any predicate.
// +cache="never"
func (m *Ferry) Attest(
	ctx context.Context,
	// The image, as registry/repository@sha256:…
	image string,
	// The predicate (JSON).
	predicate *dagger.File,
	// Predicate type: cyclonedx, spdxjson, slsaprovenance, or a URI.
	predicateType string,
	// cosign private key (PEM).
	key *dagger.Secret,
	// Password of the private key.
	// +optional
	keyPassword *dagger.Secret,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
) (string, error) {
	return m.attest(ctx, image, predicate, predicateType, key, keyPassword, registryAuth{username: username, password: password})
}

// Verify accepts an image only if it is referenced by digest, signed by the
// given public key, and carries both attestations (SBOM and lineage) signed
// by the same key; deploys call it first. It returns what it checked.
// +cache="never"
func (m *Ferry) Verify(
	ctx context.Context,
	// The image, as registry/repository@sha256:…
	image string,
	// cosign public key (PEM).
	publicKey *dagger.File,
	// Predicate types that must be attested.
	// +default=["cyclonedx", "https://ferry.dev/attestations/lineage/v1"]
	attestations []string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
) (string, error) {
	return m.verify(ctx, image, publicKey, attestations, registryAuth{username: username, password: password})
}

func (m *Ferry) sign(ctx context.Context, image string, key, keyPassword *dagger.Secret, auth registryAuth) (string, error) {
	if err := requireDigest(image); err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	ctr, err := m.cosign(image, auth)
	if err != nil {
		return "", err
	}
	_, err = withKey(ctr, key, keyPassword).
		WithExec(m.cosignArgs(image, "sign", "--yes", "--key", "/run/secrets/cosign.key", "--signing-config", "/etc/ferry/signing-config.json", image)).
		Sync(ctx)
	if err != nil {
		return "", fmt.Errorf("signing %s: %w", image, withStderr(err))
	}
	return "signed " + image, nil
}

func (m *Ferry) attest(ctx context.Context, image string, predicate *dagger.File, predicateType string, key, keyPassword *dagger.Secret, auth registryAuth) (string, error) {
	if err := requireDigest(image); err != nil {
		return "", fmt.Errorf("attesting: %w", err)
	}
	if predicateType == "" {
		return "", fmt.Errorf("attesting %s: --predicate-type is required (cyclonedx, or a URI such as %s)", image, lineageType)
	}
	ctr, err := m.cosign(image, auth)
	if err != nil {
		return "", err
	}
	_, err = withKey(ctr, key, keyPassword).
		WithFile("/in/predicate.json", predicate).
		WithExec(m.cosignArgs(image, "attest", "--yes", "--key", "/run/secrets/cosign.key", "--signing-config", "/etc/ferry/signing-config.json",
			"--type", predicateType, "--predicate", "/in/predicate.json", image)).
		Sync(ctx)
	if err != nil {
		return "", fmt.Errorf("attesting %s (%s): %w", image, predicateType, withStderr(err))
	}
	return fmt.Sprintf("attested %s to %s", predicateType, image), nil
}

func (m *Ferry) verify(ctx context.Context, image string, publicKey *dagger.File, attestations []string, auth registryAuth) (string, error) {
	if err := requireDigest(image); err != nil {
		return "", fmt.Errorf("verifying: %w", err)
	}
	ctr, err := m.cosign(image, auth)
	if err != nil {
		return "", err
	}
	ctr = ctr.WithFile("/in/cosign.pub", publicKey)
	checks := [][]string{m.cosignArgs(image, "verify", "--key", "/in/cosign.pub", "--insecure-ignore-tlog", image)}
	for _, t := range attestations {
		checks = append(checks, m.cosignArgs(image, "verify-attestation", "--key", "/in/cosign.pub", "--insecure-ignore-tlog", "--type", t, image))
	}
	var done []string
	for _, args := range checks {
		what := "signature"
		if args[1] == "verify-attestation" {
			what = "attestation " + args[len(args)-2]
		}
		if _, err := ctr.WithExec(args).Sync(ctx); err != nil {
			return "", fmt.Errorf("verifying %s: no valid %s signed by the given key (checked so far: %s): %w", image, what, strings.Join(done, ", "), withStderr(err))
		}
		done = append(done, what+" ok")
	}
	return "verified " + image + ": " + strings.Join(done, ", "), nil
}

// cosign returns the pinned cosign image set up to reach the image's
// registry, with an offline signing config (no transparency log, no
// timestamp authority) and a cache-busting timestamp: registries change.
func (m *Ferry) cosign(image string, auth registryAuth) (*dagger.Container, error) {
	ctr, err := m.image("cosign")
	if err != nil {
		return nil, err
	}
	ctr = ctr.
		WithEnvVariable("FERRY_AT", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec([]string{"sh", "-c", "mkdir -p /etc/ferry && cosign signing-config create --out /etc/ferry/signing-config.json"})
	if auth.service != nil {
		ctr = ctr.WithServiceBinding(auth.host, auth.service)
	}
	if auth.password != nil {
		if auth.username == "" {
			return nil, fmt.Errorf("reaching %s: a registry password was given without a user name (set --username)", registryHost(image))
		}
		ctr = ctr.
			WithEnvVariable("REGISTRY_USER", auth.username).
			WithSecretVariable("REGISTRY_PASSWORD", auth.password).
			WithExec([]string{"sh", "-c", `printf %s "$REGISTRY_PASSWORD" | cosign login "$0" -u "$REGISTRY_USER" --password-stdin >/dev/null`, registryHost(image)})
	}
	return ctr, nil
}

// cosignArgs is a cosign command line, allowing plain HTTP for registries
// declared insecure.
func (m *Ferry) cosignArgs(image, verb string, args ...string) []string {
	out := []string{"cosign", verb}
	if len(m.insecureFlag(image)) > 0 {
		out = append(out, "--allow-insecure-registry", "--allow-http-registry")
	}
	return append(out, args...)
}

func withKey(ctr *dagger.Container, key, password *dagger.Secret) *dagger.Container {
	ctr = ctr.WithMountedSecret("/run/secrets/cosign.key", key)
	if password != nil {
		return ctr.WithSecretVariable("COSIGN_PASSWORD", password)
	}
	return ctr.WithEnvVariable("COSIGN_PASSWORD", "")
}

func requireDigest(image string) error {
	i := strings.Index(image, "@sha256:")
	if i < 0 || len(image)-i-len("@sha256:") != 64 {
		return fmt.Errorf("%q is not pinned by digest: give registry/repository@sha256:<64 hex> (Publish returns one)", image)
	}
	return nil
}
