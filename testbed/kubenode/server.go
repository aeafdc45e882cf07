package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// logDir is where each component's output goes, one file per component.
const logDir = "/var/log/k3s"

// node is one `k3s server` run.
type node struct {
	cfg       *config
	sup       *supervisor
	name      string // Node name
	ip        string // node IP (kubelet --node-ip)
	advertise string // API server advertise address
}

func serverMain(args []string) int {
	fileArgs, err := configFileArgs(defaultConfigFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k3s server: %v\n", err)
		return 2
	}
	cfg, err := parseServerArgs(append(fileArgs, args...))
	if err != nil {
		fmt.Fprintf(os.Stderr, "k3s server: %v\n", err)
		return 2
	}
	sup, err := newSupervisor(logDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k3s server: %v\n", err)
		return 1
	}
	for _, w := range cfg.warnings {
		sup.logf("warning: %s", w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	n := &node{cfg: cfg, sup: sup}
	err = n.run(ctx)
	code := 0
	if err != nil && !(errors.Is(err, context.Canceled) && ctx.Err() != nil) {
		sup.logf("error: %v", err)
		code = 1
	}
	sup.logf("stopping")
	sup.stop(15 * time.Second)
	sup.logf("stopped")
	return code
}

// run brings the node up, reports readiness, then waits for a signal or
// for a component to die.
func (n *node) run(ctx context.Context) error {
	if err := n.prepare(); err != nil {
		return err
	}
	ca, err := loadOrCreateCA(n.tlsDir(), "ca")
	if err != nil {
		return err
	}
	// The front proxy's own CA: the API server trusts user names in
	// request headers only from clients it signed.
	proxyCA, err := loadOrCreateCA(n.tlsDir(), "request-header-ca")
	if err != nil {
		return err
	}
	if err := proxyCA.issue("client-auth-proxy", certSpec{commonName: "system:auth-proxy", client: true}); err != nil {
		return err
	}
	if err := n.issueCerts(ca); err != nil {
		return err
	}
	// A kubeconfig left by an earlier run names an old CA: readers must
	// not find it before this run's is written.
	if err := os.Remove(n.cfg.kubeconfigPath); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("removing stale kubeconfig: %w", err)
	}
	api, err := newAPIClient(ca, n.cfg.httpsPort)
	if err != nil {
		return err
	}

	if _, err := n.sup.start("etcd", n.etcdArgs(), nil); err != nil {
		return err
	}
	if err := n.sup.waitFor(ctx, "etcd", etcdHealthy); err != nil {
		return err
	}
	if _, err := n.sup.start("kube-apiserver", n.apiserverArgs(), nil); err != nil {
		return err
	}
	// containerd and the pause image come up while the API server starts.
	ctrdErr := make(chan error, 1)
	go func() { ctrdErr <- n.startContainerd(ctx) }()
	if err := n.sup.waitFor(ctx, "kube-apiserver", func() error { return api.ready(ctx) }); err != nil {
		return err
	}
	if err := ca.writeKubeconfig(n.cfg.kubeconfigPath, "client-admin",
		fmt.Sprintf("https://127.0.0.1:%d", n.cfg.httpsPort), n.cfg.kubeconfigMode); err != nil {
		return err
	}
	n.sup.logf("wrote kubeconfig %s", n.cfg.kubeconfigPath)
	for _, c := range []struct {
		name string
		args []string
	}{{"kube-controller-manager", n.controllerArgs()}, {"kube-scheduler", n.schedulerArgs()}} {
		if _, err := n.sup.start(c.name, c.args, nil); err != nil {
			return err
		}
	}
	if err := <-ctrdErr; err != nil {
		return err
	}
	agentStart := time.Now()
	if err := n.startAgent(); err != nil {
		return err
	}
	if err := n.sup.waitFor(ctx, "node "+n.name, func() error { return api.nodeReady(ctx, n.name, agentStart) }); err != nil {
		return err
	}
	// The role labels k3s puts on a server node (NodeRestriction keeps
	// kubelet from setting them itself).
	if err := api.labelNode(ctx, n.name, map[string]string{
		"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true",
	}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "k3s is up: node %s Ready in %.1fs; API https://%s:%d; kubeconfig %s\n",
		n.name, time.Since(n.sup.began).Seconds(), n.advertise, n.cfg.httpsPort, n.cfg.kubeconfigPath)
	select {
	case <-ctx.Done():
		n.sup.logf("signal received")
		return nil
	case <-n.sup.dead:
		return n.sup.cause
	}
}

// prepare resolves names and addresses and fixes up the container for
// kubelet: shared mounts, sysctl shields, /dev/kmsg, cgroups.
func (n *node) prepare() error {
	var err error
	if n.name, err = nodeName(n.cfg.nodeName); err != nil {
		return err
	}
	n.ip = n.cfg.nodeIP
	if n.ip == "" {
		if n.ip, err = defaultRouteIP(); err != nil {
			return err
		}
	}
	n.advertise = n.cfg.advertiseAddress
	if n.advertise == "" {
		n.advertise = n.ip
	}
	n.sup.logf("node %s, IP %s, data dir %s", n.name, n.ip, n.cfg.dataDir)
	if len(n.cfg.disable) > 0 {
		n.sup.logf("--disable %s: kubenode deploys no packaged components anyway", strings.Join(n.cfg.disable, ","))
	}
	cg, err := checkCgroups()
	if err != nil {
		return err
	}
	if err := makeRootShared(); err != nil {
		return err
	}
	shielded, err := shieldSysctls("/run/k3s/sysctl")
	if err != nil {
		return err
	}
	if len(shielded) > 0 {
		n.sup.logf("sysctls kubelet would rewrite, shielded in this mount namespace: %s", strings.Join(shielded, " "))
	}
	if linked, err := ensureKmsg(); err != nil {
		return err
	} else if linked {
		n.sup.logf("no /dev/kmsg: linked it to /dev/console for kubelet's OOM watcher")
	}
	n.sup.logf("cgroup %s", cg)
	for _, d := range []string{n.agentDir(), n.serverDir(), filepath.Dir(n.credPath("x")), "/etc/cni/net.d"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return nil
}

// startAgent writes the node's configs and starts kubelet and kube-proxy.
func (n *node) startAgent() error {
	ipamDir := filepath.Join(n.agentDir(), "cni-ipam")
	// Addresses handed out by an earlier run belong to sandboxes that are gone.
	if err := os.RemoveAll(ipamDir); err != nil {
		return fmt.Errorf("clearing CNI address leases: %w", err)
	}
	cni, err := cniConfig(n.cfg.clusterCIDR, ipamDir)
	if err != nil {
		return err
	}
	if err := writeAtomic("/etc/cni/net.d/10-kubenode.conflist", []byte(cni), 0o644); err != nil {
		return err
	}
	staticPods := filepath.Join(n.agentDir(), "pod-manifests")
	if err := os.MkdirAll(staticPods, 0o755); err != nil {
		return fmt.Errorf("creating static pod folder: %w", err)
	}
	kubeletPath := filepath.Join(n.agentDir(), "etc", "kubelet.yaml")
	if err := writeAtomic(kubeletPath, []byte(kubeletConfig(n.tlsDir(), n.cfg.clusterDNS, n.cfg.clusterDomain, staticPods)), 0o644); err != nil {
		return err
	}
	if _, err := n.sup.start("kubelet", n.kubeletArgs(kubeletPath), nil); err != nil {
		return err
	}
	if n.cfg.disableKubeProxy {
		return nil
	}
	proxyPath := filepath.Join(n.agentDir(), "etc", "kube-proxy.yaml")
	if err := writeAtomic(proxyPath, []byte(kubeProxyConfig(n.credPath("kube-proxy"), n.name, n.cfg.clusterCIDR)), 0o644); err != nil {
		return err
	}
	_, err = n.sup.start("kube-proxy", n.kubeProxyArgs(proxyPath), nil)
	return err
}
