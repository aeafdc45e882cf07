package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// The serving image's fixed layout: MLServer loads every model folder under
// modelsDir; settings.json there holds the server's ports.
const (
	modelsDir   = "/mnt/models"
	servingUID  = "1000"
	httpPort    = 8080
	grpcPort    = 8081
	metricsPort = 8082
)

// serverSettings is MLServer's settings.json for the image: fixed ports,
// nothing written outside /tmp, and inference in the main process: with the
// pinned uvloop every parallel worker dies ("There is no current event
// loop") and the model never loads. Capacity comes from replicas.
var serverSettings = fmt.Sprintf(`{
  "http_port": %d,
  "grpc_port": %d,
  "metrics_port": %d,
  "metrics_dir": "/tmp/mlserver-metrics",
  "parallel_workers": 0,
  "load_models_at_startup": true
}
`, httpPort, grpcPort, metricsPort)

// ServingImage is an MLServer image that serves one model over the Open
// Inference Protocol (v2): HTTP on 8080, gRPC on 8081, metrics on 8082.
type ServingImage struct {
	// The model's name, as MLServer serves it (/v2/models/NAME).
	Name string
	// The model's version (the training's version label).
	Version string
	// The image, not pushed.
	Container *dagger.Container

	// +private
	Ferry *Ferry
}

// Image builds the serving image for a trained model folder (model.joblib and
// model-settings.json): MLServer with only its scikit-learn runtime, from the
// locked serving requirements, running as a non-root user, labelled with
// where it came from.
func (m *Ferry) Image(
	ctx context.Context,
	// The model folder, e.g. the model/ folder of a training's artifacts.
	model *dagger.Directory,
	// Repository URL for the org.opencontainers.image.source label.
	// +optional
	sourceUrl string,
	// Git commit for the org.opencontainers.image.revision label.
	// +optional
	revision string,
	// MLflow run that logged the model (label ferry.mlflow.run-id).
	// +optional
	mlflowRun string,
	// Registered model version in MLflow (label ferry.mlflow.version).
	// +optional
	mlflowVersion string,
) (*ServingImage, error) {
	settings, err := model.File("model-settings.json").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("building the serving image: the model folder has no model-settings.json (give the model/ folder of a training's artifacts): %w", err)
	}
	name, version, err := modelIdentity(settings)
	if err != nil {
		return nil, fmt.Errorf("building the serving image: %w", err)
	}
	py, err := m.Python()
	if err != nil {
		return nil, err
	}
	ctr := py.
		WithFile("/tmp/serve.lock", m.Source.File("models/requirements/serve.lock")).
		WithExec([]string{"pip", "install", "--no-compile", "--require-hashes", "--only-binary=:all:", "-r", "/tmp/serve.lock"}).
		WithExec([]string{"sh", "-c", "rm -f /tmp/serve.lock && " +
			"echo 'mlserver:x:" + servingUID + ":" + servingUID + ":MLServer:/tmp:/usr/sbin/nologin' >> /etc/passwd && " +
			"echo 'mlserver:x:" + servingUID + ":' >> /etc/group"}).
		// The package index is a build input, not part of the image.
		WithoutEnvVariable("PIP_INDEX_URL").
		WithoutEnvVariable("PIP_TRUSTED_HOST").
		WithoutEnvVariable("PIP_ROOT_USER_ACTION").
		WithNewFile(modelsDir+"/settings.json", serverSettings).
		WithDirectory(modelsDir+"/"+name, model, dagger.ContainerWithDirectoryOpts{Include: []string{"model.joblib", "model-settings.json"}}).
		WithEnvVariable("HOME", "/tmp").
		// One BLAS/OpenMP thread: with the default pool a 3-row request
		// took 0.6-4.5 s instead of ~50 ms (measured on 2 cores).
		WithEnvVariable("OMP_NUM_THREADS", "1").
		WithEnvVariable("MLSERVER_MODELS_DIR", modelsDir).
		WithWorkdir("/tmp").
		WithUser(servingUID).
		WithExposedPort(httpPort).
		WithExposedPort(grpcPort).
		WithExposedPort(metricsPort).
		WithEntrypoint([]string{"mlserver", "start", modelsDir}).
		WithDefaultArgs(nil)
	labels := map[string]string{
		"org.opencontainers.image.title":       name,
		"org.opencontainers.image.version":     version,
		"org.opencontainers.image.description": "MLServer serving " + name + " over the Open Inference Protocol (v2)",
		"org.opencontainers.image.source":      sourceUrl,
		"org.opencontainers.image.revision":    revision,
		"dev.ferry.model.name":                 name,
		"dev.ferry.model.version":              version,
		"dev.ferry.mlflow.run-id":              mlflowRun,
		"dev.ferry.mlflow.version":             mlflowVersion,
	}
	for _, k := range sortedKeys(labels) {
		if labels[k] != "" {
			ctr = ctr.WithLabel(k, labels[k])
		}
	}
	return &ServingImage{Name: name, Version: version, Container: ctr, Ferry: m}, nil
}

// Image builds the serving image for this training's model (see Image).
func (t *Training) Image(ctx context.Context) (*ServingImage, error) {
	return t.Ferry.Image(ctx, t.Artifacts.Directory("model"), "", "", "", "")
}

// Service starts the image as a service on its HTTP port (8080).
func (s *ServingImage) Service() *dagger.Service {
	return s.Container.AsService(dagger.ContainerAsServiceOpts{UseEntrypoint: true})
}

// Tarball returns the image as an OCI tarball, as scanners read it.
func (s *ServingImage) Tarball() *dagger.File {
	return s.Container.AsTarball()
}

// Size reports the image's size (the OCI tarball with gzip layers, as
// pushed, and the unpacked file system) and its largest parts.
func (s *ServingImage) Size(ctx context.Context) (string, error) {
	tar, err := s.Container.AsTarball().Size(ctx)
	if err != nil {
		return "", fmt.Errorf("measuring the serving image: %w", err)
	}
	du, err := s.Container.
		WithUser("0").
		WithExec([]string{"sh", "-c", "du -sxm / | cut -f1; du -sm /usr/local/lib/python3*/dist-packages/* /usr/lib /usr/share 2>/dev/null | sort -rn | head -12"}).
		Stdout(ctx)
	if err != nil {
		return "", fmt.Errorf("measuring the serving image: %w", err)
	}
	total, top, _ := strings.Cut(du, "\n")
	return fmt.Sprintf("image %s:%s\ncompressed (gzip layers) %.1f MiB, unpacked %s MiB\nlargest parts (MiB):\n%s",
		s.Name, s.Version, float64(tar)/(1<<20), strings.TrimSpace(total), top), nil
}

// modelIdentity reads the model's name and version from its MLServer
// model-settings.json.
func modelIdentity(settings string) (name, version string, err error) {
	var doc struct {
		Name       string `json:"name"`
		Parameters struct {
			Version string `json:"version"`
		} `json:"parameters"`
	}
	if err := jsonUnmarshal(settings, &doc); err != nil {
		return "", "", fmt.Errorf("reading model-settings.json: %w", err)
	}
	if doc.Name == "" || strings.ContainsAny(doc.Name, "/ ") {
		return "", "", fmt.Errorf("model-settings.json: name %q must be a non-empty name without slashes or spaces", doc.Name)
	}
	return doc.Name, doc.Parameters.Version, nil
}
