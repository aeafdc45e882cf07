package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
	"github.com/ferryml/ferry/pipelines/lineage"
)

// embeddedRepo is where Run publishes the serving image on the embedded
// registry (a service bound as "registry").
const embeddedRepo = "registry:5000/ferry/diamonds"

// Publish pushes the serving image and returns it pinned by digest.
// +cache="never"
func (s *ServingImage) Publish(
	ctx context.Context,
	// Where to push it: registry/repository:tag.
	address string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
) (string, error) {
	return s.Ferry.Publish(ctx, s.Container, address, username, password)
}

// release carries one serving image through the supply chain on the
// embedded registry: push by digest, sign, attest the SBOM and the lineage
// record, verify. It returns the pinned reference and the verification.
type release struct {
	m        *Ferry
	registry *dagger.Service
	key      *dagger.Secret
	pub      *dagger.File
}

func (m *Ferry) newRelease(ctx context.Context, registry *dagger.Service) (*release, error) {
	key, pub, err := m.ephemeralKeys(ctx)
	if err != nil {
		return nil, err
	}
	// The embedded registry speaks plain HTTP.
	mm := *m
	mm.InsecureRegistries = append(append([]string{}, m.InsecureRegistries...), registryHost(embeddedRepo))
	return &release{m: &mm, registry: registry, key: key, pub: pub}, nil
}

func (r *release) auth() registryAuth {
	return registryAuth{service: r.registry, host: "registry"}
}

// push pushes the image's tarball with crane and returns repo@digest.
func (r *release) push(ctx context.Context, img *ServingImage, tag string) (string, error) {
	crane, err := r.m.crane()
	if err != nil {
		return "", err
	}
	out, err := crane.
		WithServiceBinding("registry", r.registry).
		WithMountedFile("/image.tar", img.Tarball()).
		WithEnvVariable("FERRY_CALL", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec([]string{"crane", "push", "--insecure", "/image.tar", embeddedRepo + ":" + tag}).
		Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("pushing %s to the embedded registry: %w", img.Name, withStderr(err))
	}
	ref := strings.TrimSpace(out)
	if err := requireDigest(ref); err != nil {
		return "", fmt.Errorf("pushing %s: crane answered %w", img.Name, err)
	}
	return ref, nil
}

// signAndAttest signs ref and attests the SBOM and the lineage record.
func (r *release) signAndAttest(ctx context.Context, ref string, sbom *dagger.File, record lineage.Release) error {
	if err := record.Validate(); err != nil {
		return err
	}
	js, err := json.MarshalIndent(record, "", "  ")
	if err != nil {
		return err
	}
	if _, err := r.m.sign(ctx, ref, r.key, nil, r.auth()); err != nil {
		return err
	}
	if _, err := r.m.attest(ctx, ref, sbom, sbomType, r.key, nil, r.auth()); err != nil {
		return err
	}
	pred := dag.Directory().WithNewFile("lineage.json", string(js)).File("lineage.json")
	_, err = r.m.attest(ctx, ref, pred, lineageType, r.key, nil, r.auth())
	return err
}

func (r *release) verify(ctx context.Context, ref string) (string, error) {
	return r.m.verify(ctx, ref, r.pub, []string{sbomType, lineageType}, r.auth())
}

// ephemeralKeys makes a cosign key pair for one run of the embedded
// default. Production passes its own key (see Sign) or signs keyless.
func (m *Ferry) ephemeralKeys(ctx context.Context) (*dagger.Secret, *dagger.File, error) {
	ctr, err := m.image("cosign")
	if err != nil {
		return nil, nil, err
	}
	keys := ctr.
		WithEnvVariable("FERRY_CALL", time.Now().UTC().Format(time.RFC3339Nano)).
		WithEnvVariable("COSIGN_PASSWORD", "").
		WithWorkdir("/keys").
		WithExec([]string{"cosign", "generate-key-pair"}).
		Directory("/keys")
	pem, err := keys.File("cosign.key").Contents(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("generating the run's signing key: %w", err)
	}
	name := "ferry-run-cosign-key-" + time.Now().UTC().Format("20060102T150405.000000000")
	return dag.SetSecret(name, pem), keys.File("cosign.pub"), nil
}
