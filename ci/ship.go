package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/ci/internal/dagger"
	"github.com/ferryml/ferry/pipelines/lineage"
)

// stageFunc runs one named stage of Run and records it in the report.
type stageFunc func(name string, f func() (string, error)) error

// ship takes the registered candidate from model to a verified image on the
// embedded registry (build, API tests, scan, push, sign, attest, verify),
// then deploys it to staging on the embedded cluster.
func (m *Ferry) ship(ctx context.Context, stage stageFunc, t *Training, reg *Registration, git *dagger.GitRef) error {
	sha := ""
	if git != nil {
		c, err := git.Commit(ctx)
		if err != nil {
			return fmt.Errorf("reading the commit: %w", err)
		}
		sha = c
	}
	var img *ServingImage
	err := stage("serving image", func() (string, error) {
		var err error
		img, err = m.Image(ctx, t.Artifacts.Directory("model"), "", sha, reg.RunID, reg.Version)
		if err != nil {
			return "", err
		}
		size, err := img.Size(ctx)
		if err != nil {
			return "", err
		}
		lines := strings.SplitN(size, "\n", 3)
		return strings.Join(lines[:min(2, len(lines))], "; "), nil
	})
	if err != nil {
		return err
	}
	if err := stage("model API tests", func() (string, error) {
		out, err := img.ApiTest(ctx, nil, nil, "1e-6", nil, "1.5", 300, 4)
		if err != nil {
			return "", err
		}
		js, err := out.File("latency.json").Contents(ctx)
		if err != nil {
			return "", err
		}
		var f struct {
			N          int     `json:"n"`
			P50        float64 `json:"p50_ms"`
			P95        float64 `json:"p95_ms"`
			P99        float64 `json:"p99_ms"`
			Throughput float64 `json:"requests_per_second"`
		}
		if err := jsonUnmarshal(js, &f); err != nil {
			return "", fmt.Errorf("reading latency.json: %w", err)
		}
		return fmt.Sprintf("OIP checks passed; %d requests: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, %.1f req/s",
			f.N, f.P50, f.P95, f.P99, f.Throughput), nil
	}); err != nil {
		return err
	}
	var scan *ScanRun
	if err := stage("vulnerability scan", func() (string, error) {
		var err error
		if scan, err = img.Scan(ctx, nil, ""); err != nil {
			return "", err
		}
		if err := scan.Assert(ctx); err != nil {
			return "", err
		}
		return scan.Summary(ctx)
	}); err != nil {
		return err
	}
	registry, err := m.Registry()
	if err != nil {
		return err
	}
	if _, err := registry.Start(ctx); err != nil {
		return fmt.Errorf("starting the embedded registry: %w", err)
	}
	defer registry.Stop(ctx)
	rel, err := m.newRelease(ctx, registry)
	if err != nil {
		return err
	}
	var ref string
	if err := stage("publish", func() (string, error) {
		var err error
		ref, err = rel.push(ctx, img, img.Version)
		return ref, err
	}); err != nil {
		return err
	}
	if err := stage("sign and attest", func() (string, error) {
		metrics, err := t.Metrics().Contents(ctx)
		if err != nil {
			return "", err
		}
		var mt struct {
			Data struct {
				SHA256 string `json:"sha256"`
			} `json:"data"`
		}
		if err := jsonUnmarshal(metrics, &mt); err != nil {
			return "", fmt.Errorf("reading metrics.json: %w", err)
		}
		record := lineage.Release{
			GitSHA: sha, DataHash: mt.Data.SHA256, ModelName: img.Name, ModelVersion: img.Version,
			MLflowRunID: reg.RunID, MLflowVersion: reg.Version,
			Image: ref, ImageDigest: ref[strings.Index(ref, "@")+1:],
			Scan: lineage.Scan{Passed: true, Database: scan.Database},
		}
		if err := rel.signAndAttest(ctx, ref, scan.Sbom(), record); err != nil {
			return "", err
		}
		return "signed; attested " + sbomType + " and " + lineageType, nil
	}); err != nil {
		return err
	}
	if err := stage("verify", func() (string, error) { return rel.verify(ctx, ref) }); err != nil {
		return err
	}
	return stage("deploy to staging", func() (string, error) {
		cluster, kubeconfig, err := m.startCluster(ctx, registry, "run")
		if err != nil {
			return "", err
		}
		defer cluster.Server.Stop(ctx)
		out, err := rel.m.deploy(ctx, deployment{image: ref, kubeconfig: kubeconfig, publicKey: rel.pub,
			env: "staging", strategy: "rolling", timeout: "5m", auth: rel.auth(), cluster: cluster.Server})
		if err != nil {
			return "", err
		}
		md, err := out.File("deploy.md").Contents(ctx)
		return firstLines(md, 8), err
	})
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
