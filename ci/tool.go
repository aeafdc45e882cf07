package main

import (
	"github.com/ferryml/ferry/ci/internal/dagger"
)

// tool builds the ferry command (pipelines/cmd/ferry) from this module's
// source. Stages run it in containers: the logic is plain Go, the same code
// `go test` covers.
func (m *Ferry) tool() (*dagger.File, error) {
	golang, err := m.Golang()
	if err != nil {
		return nil, err
	}
	src := dag.Directory().
		WithFile("go.mod", m.Source.File("go.mod")).
		WithFile("go.sum", m.Source.File("go.sum")).
		WithDirectory("pipelines", m.Source.Directory("pipelines"))
	return golang.
		WithDirectory("/src", src).
		WithWorkdir("/src").
		WithEnvVariable("CGO_ENABLED", "0").
		WithExec([]string{"go", "build", "-trimpath", "-o", "/out/ferry", "./pipelines/cmd/ferry"}).
		File("/out/ferry"), nil
}

// toolbox is a small container with the ferry command on PATH.
func (m *Ferry) toolbox() (*dagger.Container, error) {
	bin, err := m.tool()
	if err != nil {
		return nil, err
	}
	py, err := m.image("python")
	if err != nil {
		return nil, err
	}
	return py.WithFile("/usr/local/bin/ferry", bin), nil
}
