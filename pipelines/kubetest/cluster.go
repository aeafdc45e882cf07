package kubetest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

//go:embed stages.yaml
var stagesYAML []byte

// startTimeout bounds a control-plane start: about 5 s on 2 idle cores, much longer on a
// machine loaded with builds.
const startTimeout = 3 * time.Minute

// serviceNetwork is the ClusterIP range; nothing is ever sent to it (no kube-proxy).
const serviceNetwork = "10.96.0.0/16"

// Nodes is how many fake nodes a cluster has; node i gets pod range 10.244.<i+1>.0/24.
const Nodes = 2

// Cluster is a running control plane with kwok nodes.
type Cluster struct {
	Config     *rest.Config // the admin user (system:masters)
	Kubeconfig string       // a kubeconfig file for the same user
	Dir        string       // certificates, logs (<component>.log), etcd data
	Started    time.Duration
	Tools      Tools
	Client     kubernetes.Interface

	ownsDir bool
	mu      sync.Mutex
	procs   []*process // in start order; stopped in reverse
}

// Start runs a control plane for t and stops it when t ends; on failure the end of each
// component's log is printed. Missing binaries or namespaces skip the test, unless CI=true.
func Start(t testing.TB) *Cluster {
	t.Helper()
	c, err := launch(t.TempDir(), false)
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("control plane logs:\n%s", c.Logs(20))
		}
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("control plane (%s) started in %s", KubernetesVersion, c.Started.Round(time.Millisecond))
	return c
}

// Launch runs a control plane outside any test (for TestMain or a shared cluster); Close
// stops it and removes its folder.
func Launch() (*Cluster, error) {
	dir, err := os.MkdirTemp("", "kubetest-")
	if err != nil {
		return nil, err
	}
	return launch(dir, true)
}

func launch(dir string, ownsDir bool) (*Cluster, error) {
	if !isolated {
		if ownsDir {
			os.RemoveAll(dir)
		}
		return nil, errNoNetns
	}
	tools, err := FindTools()
	if err != nil {
		if ownsDir {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	c := &Cluster{Dir: dir, Tools: tools, ownsDir: ownsDir}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.start(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("starting the control plane in %s: %w", dir, err), c.Close())
	}
	c.Started = time.Since(began)
	return c, nil
}

func (c *Cluster) start(ctx context.Context) error {
	pki, err := newPKI(c.Dir, net.IPv4(10, 96, 0, 1))
	if err != nil {
		return err
	}
	etcdPort, err := c.startEtcd(ctx)
	if err != nil {
		return err
	}
	apiPort, err := freePort()
	if err != nil {
		return err
	}
	api, err := c.run("kube-apiserver", c.Tools.KubeAPIServer,
		"--etcd-servers=http://127.0.0.1:"+strconv.Itoa(etcdPort),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+c.Dir, "--tls-cert-file="+pki.serverCert, "--tls-private-key-file="+pki.serverKey,
		"--client-ca-file="+pki.caCert, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+pki.saPub, "--service-account-signing-key-file="+pki.saKey,
		"--service-cluster-ip-range="+serviceNetwork, "--endpoint-reconciler-type=none",
		"--enable-priority-and-fairness=false", "--profiling=false")
	if err != nil {
		return err
	}
	host := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	c.Config = &rest.Config{
		Host:            host,
		TLSClientConfig: rest.TLSClientConfig{CAData: pki.caPEM, CertData: pki.adminPEM, KeyData: pki.keyPEM},
		QPS:             100, Burst: 200,
	}
	if c.Kubeconfig, err = writeKubeconfig(c.Dir, host, pki); err != nil {
		return err
	}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	if err := waitHTTPS(ctx, api, apiPort, c.Config, "/readyz"); err != nil {
		return err
	}
	if err := c.startControllers(ctx, pki); err != nil {
		return err
	}
	return c.waitUsable(ctx)
}

func (c *Cluster) startEtcd(ctx context.Context) (int, error) {
	client, err := freePort()
	if err != nil {
		return 0, err
	}
	peer, err := freePort()
	if err != nil {
		return 0, err
	}
	cu, pu := "http://127.0.0.1:"+strconv.Itoa(client), "http://127.0.0.1:"+strconv.Itoa(peer)
	p, err := c.run("etcd", c.Tools.Etcd, "--name=kubetest", "--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+cu, "--advertise-client-urls="+cu,
		"--listen-peer-urls="+pu, "--initial-advertise-peer-urls="+pu, "--initial-cluster=kubetest="+pu,
		"--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return 0, err
	}
	return client, waitHTTP(ctx, p, client, cu+"/health")
}

func (c *Cluster) startControllers(ctx context.Context, pki *pki) error {
	kcmPort, err := freePort()
	if err != nil {
		return err
	}
	kcm, err := c.run("kube-controller-manager", c.Tools.KubeControllerManager,
		"--kubeconfig="+c.Kubeconfig, "--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(kcmPort),
		"--service-account-private-key-file="+pki.saKey, "--root-ca-file="+pki.caCert,
		"--controllers="+strings.Join([]string{
			"deployment-controller", "replicaset-controller", "endpoints-controller",
			"endpointslice-controller", "garbage-collector-controller", "namespace-controller",
			"serviceaccount-controller", "serviceaccount-token-controller",
			"pod-garbage-collector-controller", "root-ca-certificate-publisher-controller",
		}, ","))
	if err != nil {
		return err
	}
	schedPort, err := freePort()
	if err != nil {
		return err
	}
	sched, err := c.run("kube-scheduler", c.Tools.KubeScheduler,
		"--kubeconfig="+c.Kubeconfig, "--leader-elect=false",
		"--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(schedPort))
	if err != nil {
		return err
	}
	stages := filepath.Join(c.Dir, "kwok-stages.yaml")
	if err := os.WriteFile(stages, stagesYAML, 0o644); err != nil {
		return fmt.Errorf("writing kwok stages: %w", err)
	}
	if _, err := c.run("kwok", c.Tools.Kwok, "--kubeconfig="+c.Kubeconfig, "--config="+stages,
		"--manage-nodes-with-annotation-selector="+nodeAnnotation+"=fake",
		"--cidr=10.244.0.0/24", "--node-ip=10.244.0.1"); err != nil {
		return err
	}
	if err := waitHTTPS(ctx, kcm, kcmPort, nil, "/healthz"); err != nil {
		return err
	}
	return waitHTTPS(ctx, sched, schedPort, nil, "/healthz")
}

// run starts a component and records it for Close.
func (c *Cluster) run(name, bin string, args ...string) (*process, error) {
	p, err := startProcess(c.Dir, name, bin, args...)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	return p, nil
}

// Close stops every component, newest first, and removes the folder of a Launch-ed cluster.
func (c *Cluster) Close() error {
	c.mu.Lock()
	procs := c.procs
	c.procs = nil
	c.mu.Unlock()
	var errs []error
	for i := len(procs) - 1; i >= 0; i-- {
		errs = append(errs, procs[i].stop())
	}
	if c.ownsDir {
		errs = append(errs, os.RemoveAll(c.Dir))
	}
	return errors.Join(errs...)
}

// Logs returns the last n lines of each component's log.
func (c *Cluster) Logs(n int) string {
	var b strings.Builder
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.procs {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.name, p.logPath, tail(p.logPath, n))
	}
	return b.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("choosing a port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
