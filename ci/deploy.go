package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// environments are the overlays under manifests/overlays.
var environments = []string{"dev", "staging", "production"}

// Deploy deploys a signed serving image to a Kubernetes environment with
// server-side apply, after checking its signature and attestations (see
// Verify): waits for the rollout, smoke-tests the model through the API
// server, and rolls back by itself when the rollout stalls or a check
// fails. Production needs --approve. Returns the deployment report
// (deploy.md, deploy.json); fails after a rollback.
// +cache="never"
func (m *Ferry) Deploy(
	ctx context.Context,
	// The signed image, as registry/repository@sha256:…
	image string,
	// Kubeconfig of the target cluster.
	kubeconfig *dagger.Secret,
	// cosign public key the image must be signed with.
	publicKey *dagger.File,
	// Environment: dev, staging or production (manifests/overlays/<env>).
	// +default="staging"
	env string,
	// rolling (replace in place) or canary (a share of traffic first,
	// compared with the stable version, then promoted or rolled back).
	// +default="rolling"
	strategy string,
	// Approval for production: who approved, e.g. a change ticket.
	// +optional
	approve string,
	// How long the rollout may take before it counts as stalled.
	// +default="5m"
	timeout string,
	// Registry user name, for verifying the signature.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
) (*dagger.Directory, error) {
	return m.deploy(ctx, deployment{image: image, kubeconfig: kubeconfig, publicKey: publicKey,
		env: env, strategy: strategy, approve: approve, timeout: timeout,
		auth: registryAuth{username: username, password: password}})
}

// deployment is one call of Deploy; cluster and registry are set when the
// target runs as services of this session (the embedded default).
type deployment struct {
	image, env, strategy, approve, timeout string
	kubeconfig                             *dagger.Secret
	publicKey                              *dagger.File
	auth                                   registryAuth
	cluster                                *dagger.Service
	// Skip signature checks: only for the rehearsal of a bad signature.
	unverified bool
}

func (m *Ferry) deploy(ctx context.Context, d deployment) (*dagger.Directory, error) {
	if !contains(environments, d.env) {
		return nil, fmt.Errorf("deploying: unknown environment %q: use one of %s", d.env, strings.Join(environments, ", "))
	}
	if err := requireDigest(d.image); err != nil {
		return nil, fmt.Errorf("deploying: %w", err)
	}
	digest := d.image[strings.Index(d.image, "@")+1:]
	verified := ""
	if !d.unverified {
		if _, err := m.verify(ctx, d.image, d.publicKey, []string{sbomType, lineageType}, d.auth); err != nil {
			return nil, fmt.Errorf("deploying to %s: refusing an image that does not verify: %w", d.env, err)
		}
		verified = digest
	}
	box, err := m.toolbox()
	if err != nil {
		return nil, err
	}
	if d.cluster != nil {
		box = box.WithServiceBinding(clusterHost, d.cluster)
	}
	args := []string{"ferry", "deploy", "--kubeconfig", "/run/secrets/kubeconfig", "--env", d.env,
		"--manifests", "/work/manifests", "--image", d.image, "--verified-digest", verified,
		"--strategy", d.strategy, "--timeout", d.timeout, "--model", "diamonds",
		"--request", "/work/testdata/infer-request.json", "--expected", "/work/testdata/infer-expected.json",
		"--out", "/out"}
	if d.approve != "" {
		args = append(args, "--approve", d.approve)
	}
	ctr := box.
		WithMountedSecret("/run/secrets/kubeconfig", d.kubeconfig).
		WithDirectory("/work/manifests", m.Source.Directory("manifests")).
		WithDirectory("/work/testdata", m.Source.Directory("models/diamonds/testdata")).
		WithEnvVariable("FERRY_CALL", time.Now().UTC().Format(time.RFC3339Nano)).
		// The report is written before the exit status is known: keep it
		// either way, then fail with it.
		WithExec(append([]string{"sh", "-c", `mkdir -p /out; "$@" 2>/out/stderr; echo $? > /out/exit-code`, "sh"}, args...))
	out := ctr.Directory("/out")
	code, err := out.File("exit-code").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("deploying %s to %s: %w", d.image, d.env, err)
	}
	if strings.TrimSpace(code) != "0" {
		stderr, _ := out.File("stderr").Contents(ctx)
		return out, fmt.Errorf("deploying %s to %s failed:\n%s", d.image, d.env, strings.TrimSpace(stderr))
	}
	return out, nil
}
