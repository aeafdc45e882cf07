package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
	"github.com/ferryml/ferry/pipelines/lineage"
	"github.com/ferryml/ferry/pipelines/report"
)

// Rehearse rehearses the release path on the embedded default: a registry
// and a single-node cluster with a real node start as services; v1 (the
// candidate) is deployed with a rolling update, v2 (the same model, a new
// image) as a canary that is compared with v1 and promoted, and a bad v3
// (its server dies at start) is rolled back automatically.
// Every image is scanned, pushed by digest, signed, attested and verified
// before it deploys; each deploy is checked with real inference requests.
// Returns the rehearsal's report; fails if any step did not go as planned.
// +cache="never"
func (m *Ferry) Rehearse(
	ctx context.Context,
	// Environment overlay to rehearse on.
	// +default="staging"
	env string,
) (string, error) {
	r := &report.Report{Title: "ferry rehearse (" + env + ")"}
	stage := func(name string, f func() (string, error)) error {
		start := time.Now()
		detail, err := f()
		if err != nil {
			r.Add(name, report.Failed, err.Error(), time.Since(start))
			return err
		}
		r.Add(name, report.Passed, detail, time.Since(start))
		return nil
	}
	err := m.rehearse(ctx, env, stage)
	if err != nil {
		return r.Markdown(), fmt.Errorf("rehearsal failed:\n%s", r.Markdown())
	}
	return r.Markdown(), nil
}

func (m *Ferry) rehearse(ctx context.Context, env string, stage stageFunc) error {
	registry, err := m.Registry()
	if err != nil {
		return err
	}
	if _, err := registry.Start(ctx); err != nil {
		return fmt.Errorf("starting the embedded registry: %w", err)
	}
	defer registry.Stop(ctx)
	var cluster *Cluster
	var kubeconfig *dagger.Secret
	if err := stage("cluster", func() (string, error) {
		cluster, kubeconfig, err = m.startCluster(ctx, registry, "rehearse")
		return "single node, control plane and kubelet in one service", err
	}); err != nil {
		return err
	}
	defer cluster.Server.Stop(ctx)
	rel, err := m.newRelease(ctx, registry)
	if err != nil {
		return err
	}
	candidate, err := m.Train("candidate", m.Source.Directory("models/data"), 42)
	if err != nil {
		return err
	}
	image := func(revision string) (*ServingImage, error) {
		return rel.m.Image(ctx, candidate.Artifacts.Directory("model"), "", revision, "", "")
	}
	v1, err := image("v1")
	if err != nil {
		return err
	}
	v2, err := image("v2")
	if err != nil {
		return err
	}
	v3, err := image("v3")
	if err != nil {
		return err
	}
	// v3 is a bad release: its server dies at start, as one whose model
	// cannot load or whose dependencies broke would.
	v3.Container = v3.Container.WithEntrypoint([]string{"sh", "-c", "echo 'diamonds v3: cannot load model' >&2; exit 3"})
	versions := []struct {
		name, strategy string
		image          *ServingImage
		revision       string
		wantFail       bool
	}{
		{"v1", "rolling", v1, "v1", false},
		{"v2", "canary", v2, "v2", false},
		{"v3 (crashes)", "rolling", v3, "v3", true},
	}
	for _, v := range versions {
		var ref string
		if err := stage("release "+v.name, func() (string, error) {
			ref, err = rel.ship(ctx, v.image, v.revision)
			return ref, err
		}); err != nil {
			return err
		}
		if err := stage("deploy "+v.name+" ("+v.strategy+")", func() (string, error) {
			d := deployment{image: ref, kubeconfig: kubeconfig, publicKey: rel.pub, env: env,
				strategy: v.strategy, timeout: "4m", auth: rel.auth(), cluster: cluster.Server}
			out, err := rel.m.deploy(ctx, d)
			switch {
			case v.wantFail && err == nil:
				return "", fmt.Errorf("the bad version deployed: want a rollback")
			case v.wantFail:
				if !strings.Contains(err.Error(), "rolled back") && !strings.Contains(err.Error(), "rollback") {
					return "", fmt.Errorf("want an automatic rollback, got: %w", err)
				}
				return "failed as planned and rolled back: " + firstLines(err.Error(), 3), nil
			case err != nil:
				return "", fmt.Errorf("%w\n%s", err, m.diagnose(ctx, cluster.Server, kubeconfig, "ferry-"+env))
			}
			md, err := out.File("deploy.md").Contents(ctx)
			return firstLines(md, 8), err
		}); err != nil {
			return err
		}
		if err := stage("inference after "+v.name, func() (string, error) {
			return m.checkServing(ctx, cluster.Server, kubeconfig, env)
		}); err != nil {
			return err
		}
	}
	return nil
}

// ship scans, pushes, signs and attests one serving image; it returns
// repo@digest.
func (r *release) ship(ctx context.Context, img *ServingImage, revision string) (string, error) {
	scan, err := img.Scan(ctx, nil, "")
	if err != nil {
		return "", err
	}
	if err := scan.Assert(ctx); err != nil {
		return "", err
	}
	ref, err := r.push(ctx, img, strings.ReplaceAll(revision, " ", "-"))
	if err != nil {
		return "", err
	}
	record := lineage.Release{
		GitSHA: strings.Repeat("0", 40), DataHash: strings.Repeat("0", 64), ModelName: img.Name, ModelVersion: img.Version,
		MLflowRunID: "rehearsal", MLflowVersion: revision,
		Image: ref, ImageDigest: ref[strings.Index(ref, "@")+1:],
		Scan: lineage.Scan{Passed: true, Database: scan.Database},
	}
	if err := r.signAndAttest(ctx, ref, scan.Sbom(), record); err != nil {
		return "", err
	}
	return ref, nil
}

// startCluster starts a cluster service and waits for its kubeconfig.
func (m *Ferry) startCluster(ctx context.Context, registry *dagger.Service, name string) (*Cluster, *dagger.Secret, error) {
	cluster, err := m.Cluster(registry, name)
	if err != nil {
		return nil, nil, err
	}
	if _, err := cluster.Server.Start(ctx); err != nil {
		return nil, nil, fmt.Errorf("starting the cluster: %w", err)
	}
	kc, err := cluster.Kubeconfig(ctx)
	if err != nil {
		return nil, nil, err
	}
	return cluster, kc, nil
}

// checkServing sends the known request to the environment's Service
// through the API server and compares the answer.
func (m *Ferry) checkServing(ctx context.Context, cluster *dagger.Service, kubeconfig *dagger.Secret, env string) (string, error) {
	box, err := m.toolbox()
	if err != nil {
		return "", err
	}
	out, err := box.
		WithServiceBinding(clusterHost, cluster).
		WithMountedSecret("/run/secrets/kubeconfig", kubeconfig).
		WithDirectory("/work/testdata", m.Source.Directory("models/diamonds/testdata")).
		WithEnvVariable("FERRY_CALL", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec([]string{"ferry", "oip", "check", "--kubeconfig", "/run/secrets/kubeconfig",
			"--service", "ferry-" + env + "/diamonds:http", "--model", "diamonds",
			"--request", "/work/testdata/infer-request.json", "--expected", "/work/testdata/infer-expected.json",
			"--wait", "60s", "--out", "/out"}).
		Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("checking the model served in %s: %w", env, withStderr(err))
	}
	return strings.TrimSpace(out), nil
}
