package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/pipelines/report"
)

// Run runs the pipeline end to end on the embedded default (an ephemeral
// registry started as a service) and returns its report in Markdown.
//
// Stages so far: the toolchain images start, and an image is published to
// the embedded registry and read back by digest. Later stages (data checks,
// training, registration, gates, scan, sign, deploy) join as they land.
// +cache="never"
func (m *Ferry) Run(ctx context.Context) (string, error) {
	r := &report.Report{Title: "ferry run"}
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
	err := stage("toolchains", func() (string, error) { return m.toolchains(ctx) })
	if err == nil {
		err = stage("publish", func() (string, error) { return m.publishEmbedded(ctx) })
	}
	if err != nil {
		return r.Markdown(), fmt.Errorf("ferry run failed:\n%s", r.Markdown())
	}
	return r.Markdown(), nil
}

// toolchains starts the Python and Go images and reports their versions.
func (m *Ferry) toolchains(ctx context.Context) (string, error) {
	py, err := m.Python()
	if err != nil {
		return "", err
	}
	pyv, err := py.WithExec([]string{"python", "--version"}).Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("starting the Python image: %w", err)
	}
	golang, err := m.Golang()
	if err != nil {
		return "", err
	}
	gov, err := golang.WithExec([]string{"go", "version"}).Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("starting the Go image: %w", err)
	}
	return strings.TrimSpace(pyv) + ", " + strings.TrimSpace(gov), nil
}

// publishEmbedded pushes the Python image to the embedded registry with
// crane, then pulls it back by digest and checks the digest.
func (m *Ferry) publishEmbedded(ctx context.Context) (string, error) {
	reg, err := m.Registry()
	if err != nil {
		return "", err
	}
	py, err := m.Python()
	if err != nil {
		return "", err
	}
	crane, err := m.crane()
	if err != nil {
		return "", err
	}
	const repo = "registry:5000/ferry/run"
	out, err := crane.
		WithServiceBinding("registry", reg).
		WithMountedFile("/image.tar", py.AsTarball()).
		WithEnvVariable("CACHE_BUST", time.Now().String()).
		WithExec([]string{"sh", "-ec", `
crane push --insecure /image.tar ` + repo + `:latest >/tmp/ref
ref=$(cat /tmp/ref)
digest=${ref#*@}
test "$(crane digest --insecure ` + repo + `@$digest)" = "$digest"
echo "$ref"`}).
		Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("publishing to the embedded registry: %w", err)
	}
	return "pushed and read back " + strings.TrimSpace(out), nil
}
