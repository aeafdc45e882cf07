package main

import (
	"fmt"
	"net"
	"path/filepath"
)

// kubeletConfig renders the KubeletConfiguration. Every line that differs
// from kubelet's defaults is there for this environment:
//   - failCgroupV1: kubelet ≥ 1.35 refuses cgroup v1 hosts without it;
//   - cgroupfs: no systemd in the container;
//   - tiny evictionHard and image GC at 100 %: the shared disk is often
//     80 %+ full, and a test node should not evict its pods for that;
//   - failSwapOn false: hosts with swap are fine for tests;
//   - oomScoreAdj 0: root here lacks CAP_SYS_RESOURCE to go below;
//   - NeverVerify: an image already on the node is used as is; otherwise
//     kubelet ≥ 1.35 pulls it again when the same image was once pulled
//     under another name (offline, that pull fails).
func kubeletConfig(tlsDir, clusterDNS, clusterDomain, staticPods string) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://%[5]s
imageServiceEndpoint: unix://%[5]s
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: %[1]s/ca.crt
authorization:
  mode: Webhook
tlsCertFile: %[1]s/kubelet-serving.crt
tlsPrivateKeyFile: %[1]s/kubelet-serving.key
clusterDNS: [%[2]s]
clusterDomain: %[3]s
staticPodPath: %[4]s
failSwapOn: false
oomScoreAdj: 0
serializeImagePulls: false
imagePullCredentialsVerificationPolicy: NeverVerify
evictionHard:
  memory.available: 20Mi
  nodefs.available: 1%%
  nodefs.inodesFree: 1%%
  imagefs.available: 1%%
  imagefs.inodesFree: 1%%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
protectKernelDefaults: false
resolvConf: /etc/resolv.conf
`, tlsDir, clusterDNS, clusterDomain, staticPods, containerdSocket)
}

// kubeProxyConfig renders the KubeProxyConfiguration for iptables mode.
// The conntrack zeros and oomScoreAdj 0 stop kube-proxy writing sysctls
// that only the machine's initial namespace may change.
func kubeProxyConfig(kubeconfig, node, clusterCIDR string) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: %s
hostnameOverride: %s
mode: iptables
clusterCIDR: %s
oomScoreAdj: 0
metricsBindAddress: 127.0.0.1:10249
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, kubeconfig, node, clusterCIDR)
}

// cniConfig renders the pod network: one Linux bridge with host-local
// addresses from the node's slice of the cluster CIDR (the first /24,
// the one the controller manager gives the only node), masquerade out,
// hairpin so a pod reaches itself through its Service, and port mapping.
func cniConfig(clusterCIDR, ipamDir string) (string, error) {
	_, cidr, err := net.ParseCIDR(clusterCIDR)
	if err != nil {
		return "", fmt.Errorf("cluster CIDR %q: %w", clusterCIDR, err)
	}
	ones, _ := cidr.Mask.Size()
	if ones > 24 {
		return "", fmt.Errorf("cluster CIDR %s: want a prefix of /24 or shorter", clusterCIDR)
	}
	subnet := net.IPNet{IP: cidr.IP.To4(), Mask: net.CIDRMask(24, 32)}
	return fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "kubenode",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": true,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": %q}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": %q
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, subnet.String(), ipamDir), nil
}

// agentPaths are the node side's files under the data dir.
func (n *node) agentDir() string  { return filepath.Join(n.cfg.dataDir, "agent") }
func (n *node) serverDir() string { return filepath.Join(n.cfg.dataDir, "server") }
func (n *node) tlsDir() string    { return filepath.Join(n.serverDir(), "tls") }
func (n *node) credPath(name string) string {
	return filepath.Join(n.serverDir(), "cred", name+".kubeconfig")
}
