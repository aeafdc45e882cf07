package main

import (
	"github.com/ferryml/ferry/ci/internal/dagger"
)

// mlflowPort is where the embedded MLflow server listens.
const mlflowPort = 5000

// Mlflow returns an MLflow tracking server (the pinned official image) as a
// service: the embedded default's experiment tracker and model registry.
// Its SQLite store and artifacts live in a cache volume, so runs and model
// versions persist from one call to the next, as on a real server.
func (m *Ferry) Mlflow(
	// Cache volume holding the store; another name gives a fresh server.
	// +default="ferry-mlflow"
	store string,
) (*dagger.Service, error) {
	ctr, err := m.image("mlflow")
	if err != nil {
		return nil, err
	}
	return ctr.
		WithMountedCache("/mlflow", dag.CacheVolume(store)).
		WithExposedPort(mlflowPort).
		AsService(dagger.ContainerAsServiceOpts{Args: []string{
			"mlflow", "server",
			"--host", "0.0.0.0", "--port", "5000", "--workers", "1",
			"--backend-store-uri", "sqlite:////mlflow/mlflow.db",
			"--artifacts-destination", "/mlflow/artifacts", "--serve-artifacts",
			// Containers reach it by its service name; tunnels on any port.
			"--allowed-hosts", "mlflow,mlflow:*,localhost,localhost:*,127.0.0.1,127.0.0.1:*",
		}}), nil
}
