package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// Cluster is a single-node Kubernetes cluster (the pinned k3s image) running
// as a service: control plane and a real node whose pods pull images from
// the embedded registry, bound as "registry".
type Cluster struct {
	// The cluster, serving the Kubernetes API on 6443.
	Server *dagger.Service
	// Name of the cache volume the cluster writes its kubeconfig to.
	ConfigVolume string

	// +private
	Ferry *Ferry
}

// clusterHost is the cluster service's host name for its clients.
const clusterHost = "kubernetes"

// registries.yaml (k3s's format) lets the node's containerd pull from the
// embedded registry over plain HTTP.
const registriesYAML = `mirrors:
  "registry:5000":
    endpoint:
      - "http://registry:5000"
`

// Cluster starts a single-node Kubernetes cluster as a service: the pinned
// k3s image, with its pods pulling from the given registry service (bound as
// "registry:5000"). Each name gets its own cluster state.
func (m *Ferry) Cluster(
	// The registry the cluster's pods pull from, bound as registry:5000.
	registry *dagger.Service,
	// Names this cluster's state (kubeconfig, certificates).
	// +default="ferry"
	name string,
) (*Cluster, error) {
	k3s, err := m.image("k3s")
	if err != nil {
		return nil, err
	}
	volume := "ferry-k3s-" + name
	svc := k3s.
		WithServiceBinding("registry", registry).
		WithNewFile("/etc/rancher/k3s/registries.yaml", registriesYAML).
		WithMountedCache("/kubeconfig", dag.CacheVolume(volume)).
		// containerd's snapshots must not sit on the engine's overlay.
		WithMountedTemp("/var/lib/rancher/k3s").
		WithMountedTemp("/var/lib/kubelet").
		WithMountedTemp("/var/lib/cni").
		WithMountedTemp("/var/log").
		WithExposedPort(6443).
		AsService(dagger.ContainerAsServiceOpts{
			Args: []string{"server", "--disable=traefik,metrics-server,servicelb,local-storage",
				"--tls-san=" + clusterHost, "--write-kubeconfig=/kubeconfig/k3s.yaml", "--write-kubeconfig-mode=644"},
			UseEntrypoint:            true,
			InsecureRootCapabilities: true,
		})
	return &Cluster{Server: svc, ConfigVolume: volume, Ferry: m}, nil
}

// Kubeconfig waits for the cluster and returns an admin kubeconfig whose
// server is the cluster's service host name. Never cached: each start of the
// cluster makes new certificates.
// +cache="never"
func (c *Cluster) Kubeconfig(ctx context.Context) (*dagger.Secret, error) {
	py, err := c.Ferry.image("python")
	if err != nil {
		return nil, err
	}
	// The file is copied out of the cache volume, never printed: it holds
	// the admin's private key, and a command's output reaches the logs.
	cfg, err := py.
		WithMountedCache("/kubeconfig", dag.CacheVolume(c.ConfigVolume)).
		WithServiceBinding(clusterHost, c.Server).
		WithEnvVariable("FERRY_CALL", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec([]string{"sh", "-c", `for i in $(seq 1 240); do test -s /kubeconfig/k3s.yaml && break; sleep 1; done; ` +
			`test -s /kubeconfig/k3s.yaml || { echo "the cluster wrote no kubeconfig in 240 s" >&2; exit 1; }; ` +
			`mkdir -p /out && cp /kubeconfig/k3s.yaml /out/kubeconfig`}).
		File("/out/kubeconfig").
		Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("waiting for the cluster's kubeconfig: %w", withStderr(err))
	}
	if !strings.Contains(cfg, "server:") {
		return nil, fmt.Errorf("waiting for the cluster's kubeconfig: the file has no server entry")
	}
	cfg = strings.ReplaceAll(cfg, "https://127.0.0.1:6443", "https://"+clusterHost+":6443")
	return dag.SetSecret("ferry-kubeconfig-"+c.ConfigVolume+"-"+time.Now().UTC().Format("150405.000000"), cfg), nil
}

// diagnose describes a namespace's pods and events (kubectl from the
// cluster image), for the report of a deploy that went wrong.
func (m *Ferry) diagnose(ctx context.Context, cluster *dagger.Service, kubeconfig *dagger.Secret, namespace string) string {
	k3s, err := m.image("k3s")
	if err != nil {
		return err.Error()
	}
	out, err := k3s.
		WithServiceBinding(clusterHost, cluster).
		WithMountedSecret("/run/secrets/kubeconfig", kubeconfig).
		WithEnvVariable("KUBECONFIG", "/run/secrets/kubeconfig").
		WithEnvVariable("FERRY_CALL", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec([]string{"sh", "-c", "kubectl get nodes,pods -o wide -n " + namespace +
			"; kubectl describe pods -n " + namespace + " | grep -A30 -E '^(Name:|Conditions:|Events:)' | head -120" +
			"; kubectl get events -n " + namespace + " --sort-by=.lastTimestamp | tail -30"},
			dagger.ContainerWithExecOpts{UseEntrypoint: false}).
		Stdout(ctx)
	if err != nil {
		return "diagnostics failed: " + withStderr(err).Error()
	}
	return out
}
