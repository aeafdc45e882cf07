package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// issueCerts makes every certificate the node uses, signed by the CA, and
// a kubeconfig per client. Leaf certificates are remade at each start so
// new --tls-san names or a new IP are always covered.
func (n *node) issueCerts(ca *authority) error {
	svcIP, err := firstIP(n.cfg.serviceCIDR)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	names := append([]string{"kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc." + n.cfg.clusterDomain, "localhost", "127.0.0.1", "::1",
		n.name, host, n.ip, n.advertise, svcIP}, n.cfg.tlsSANs...)
	dns, ips := sans(names...)
	nodeDNS, nodeIPs := sans("localhost", "127.0.0.1", n.name, host, n.ip)
	specs := map[string]certSpec{
		"serving-kube-apiserver": {commonName: "kube-apiserver", dnsNames: dns, ips: ips, server: true},
		"client-kube-apiserver":  {commonName: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"}, client: true},
		"client-admin":           {commonName: "system:admin", orgs: []string{"system:masters"}, client: true},
		"client-controller":      {commonName: "system:kube-controller-manager", client: true},
		"client-scheduler":       {commonName: "system:kube-scheduler", client: true},
		"client-kube-proxy":      {commonName: "system:kube-proxy", client: true},
		"client-kubelet":         {commonName: "system:node:" + n.name, orgs: []string{"system:nodes"}, client: true},
		"kubelet-serving":        {commonName: n.name, dnsNames: nodeDNS, ips: nodeIPs, server: true},
	}
	for name, s := range specs {
		if err := ca.issue(name, s); err != nil {
			return err
		}
	}
	if err := serviceAccountKey(ca.dir); err != nil {
		return err
	}
	local := "https://127.0.0.1:" + strconv.Itoa(n.cfg.httpsPort)
	for file, cert := range map[string]string{"admin": "client-admin", "controller": "client-controller",
		"scheduler": "client-scheduler", "kube-proxy": "client-kube-proxy", "kubelet": "client-kubelet"} {
		if err := ca.writeKubeconfig(n.credPath(file), cert, local, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (n *node) etcdArgs() []string {
	dir := filepath.Join(n.serverDir(), "db", "etcd")
	return append([]string{"etcd",
		"--name=default",
		"--data-dir=" + dir,
		"--listen-client-urls=http://127.0.0.1:2379",
		"--advertise-client-urls=http://127.0.0.1:2379",
		"--listen-peer-urls=http://127.0.0.1:2380",
		"--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster=default=http://127.0.0.1:2380",
		// A throwaway test cluster: losing writes on a crash is fine,
		// waiting for fsync on a shared disk is not.
		"--unsafe-no-fsync",
		"--log-level=warn",
	}, n.cfg.extraArgs["etcd"]...)
}

func (n *node) apiserverArgs() []string {
	t := n.tlsDir()
	args := []string{"kube-apiserver",
		"--advertise-address=" + n.advertise,
		"--bind-address=" + n.cfg.bindAddress,
		"--secure-port=" + strconv.Itoa(n.cfg.httpsPort),
		"--etcd-servers=http://127.0.0.1:2379",
		"--client-ca-file=" + t + "/ca.crt",
		"--tls-cert-file=" + t + "/serving-kube-apiserver.crt",
		"--tls-private-key-file=" + t + "/serving-kube-apiserver.key",
		"--kubelet-client-certificate=" + t + "/client-kube-apiserver.crt",
		"--kubelet-client-key=" + t + "/client-kube-apiserver.key",
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--service-account-issuer=https://kubernetes.default.svc." + n.cfg.clusterDomain,
		"--service-account-key-file=" + t + "/service.pub",
		"--service-account-signing-key-file=" + t + "/service.key",
		"--service-cluster-ip-range=" + n.cfg.serviceCIDR,
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		// The request-header (front proxy) settings: without them every
		// component that delegates authentication logs errors about
		// extension-apiserver-authentication.
		"--requestheader-client-ca-file=" + t + "/request-header-ca.crt",
		"--requestheader-allowed-names=system:auth-proxy",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + t + "/client-auth-proxy.crt",
		"--proxy-client-key-file=" + t + "/client-auth-proxy.key",
		"--profiling=false",
	}
	if ip := net.ParseIP(n.advertise); ip != nil && ip.IsLoopback() {
		// The lease reconciler refuses a loopback endpoint.
		args = append(args, "--endpoint-reconciler-type=none")
	}
	return append(args, n.cfg.extraArgs["kube-apiserver"]...)
}

func (n *node) controllerArgs() []string {
	t, kc := n.tlsDir(), n.credPath("controller")
	return append([]string{"kube-controller-manager",
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + t + "/service.key",
		"--root-ca-file=" + t + "/ca.crt",
		"--cluster-signing-cert-file=" + t + "/ca.crt",
		"--cluster-signing-key-file=" + t + "/ca.key",
		"--allocate-node-cidrs=true",
		"--cluster-cidr=" + n.cfg.clusterCIDR,
		"--node-cidr-mask-size=24",
		"--service-cluster-ip-range=" + n.cfg.serviceCIDR,
		"--profiling=false",
	}, n.cfg.extraArgs["kube-controller-manager"]...)
}

func (n *node) schedulerArgs() []string {
	kc := n.credPath("scheduler")
	return append([]string{"kube-scheduler",
		"--kubeconfig=" + kc,
		"--authentication-kubeconfig=" + kc,
		"--authorization-kubeconfig=" + kc,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		"--profiling=false",
	}, n.cfg.extraArgs["kube-scheduler"]...)
}

func (n *node) kubeletArgs(configPath string) []string {
	return append([]string{"kubelet",
		"--config=" + configPath,
		"--kubeconfig=" + n.credPath("kubelet"),
		"--hostname-override=" + n.name,
		"--node-ip=" + n.ip,
	}, n.cfg.extraArgs["kubelet"]...)
}

func (n *node) kubeProxyArgs(configPath string) []string {
	return append([]string{"kube-proxy", "--config=" + configPath}, n.cfg.extraArgs["kube-proxy"]...)
}

// firstIP is the first host address of an IPv4 CIDR: the Service IP of
// the kubernetes Service.
func firstIP(cidr string) (string, error) {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil || n.IP.To4() == nil {
		return "", fmt.Errorf("service CIDR %q: want an IPv4 CIDR", cidr)
	}
	ip := n.IP.To4()
	return net.IPv4(ip[0], ip[1], ip[2], ip[3]+1).String(), nil
}

// etcdHealthy is nil once etcd answers its health endpoint.
func etcdHealthy() error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:2379/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd health: %s: %s", resp.Status, body)
	}
	return nil
}
