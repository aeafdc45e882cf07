package kubetest

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// nodeAnnotation marks the nodes kwok manages.
const nodeAnnotation = "kwok.x-k8s.io/node"

// waitHTTP waits until url answers 200 and p holds the listening socket on port: another
// server on the same port must not pass for ours.
func waitHTTP(ctx context.Context, p *process, port int, url string) error {
	hc := &http.Client{Timeout: 2 * time.Second}
	return poll(ctx, p, port, func() bool {
		resp, err := hc.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode == http.StatusOK
	})
}

// waitHTTPS is waitHTTP over TLS: with cfg's credentials, or anonymously without
// verifying the certificate (health endpoints of the controllers allow anonymous access).
func waitHTTPS(ctx context.Context, p *process, port int, cfg *rest.Config, path string) error {
	var hc *http.Client
	if cfg != nil {
		var err error
		if hc, err = rest.HTTPClientFor(cfg); err != nil {
			return fmt.Errorf("creating an HTTP client: %w", err)
		}
	} else {
		hc = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	hc.Timeout = 2 * time.Second
	url := "https://127.0.0.1:" + strconv.Itoa(port) + path
	return poll(ctx, p, port, func() bool {
		resp, err := hc.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode == http.StatusOK
	})
}

func poll(ctx context.Context, p *process, port int, ok func() bool) error {
	for {
		if err := p.exited(); err != nil {
			return err
		}
		if ok() {
			owned, err := p.owns(port)
			if err != nil {
				return err
			}
			if !owned {
				return fmt.Errorf("%s: another process answers on 127.0.0.1:%d", p.name, port)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s on port %d: %w; log:\n%s", p.name, port, ctx.Err(), tail(p.logPath, 25))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitUsable creates the kwok nodes and waits until they are Ready (kwok works) and the
// default namespace has its service account (the controller manager works).
func (c *Cluster) waitUsable(ctx context.Context) error {
	for i := range Nodes {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{nodeAnnotation: "fake"},
				Labels:      map[string]string{"type": "kwok", "kubernetes.io/os": "linux", "kubernetes.io/hostname": name},
			},
			Spec: corev1.NodeSpec{PodCIDR: fmt.Sprintf("10.244.%d.0/24", i+1)},
		}
		if _, err := c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating node %s: %w", node.Name, err)
		}
	}
	for {
		ready, err := c.readyNodes(ctx)
		if err != nil {
			return err
		}
		_, saErr := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if saErr != nil && !apierrors.IsNotFound(saErr) {
			return fmt.Errorf("reading the default service account: %w", saErr)
		}
		if ready == Nodes && saErr == nil {
			return nil
		}
		c.mu.Lock()
		procs := c.procs
		c.mu.Unlock()
		for _, p := range procs {
			if err := p.exited(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d Ready nodes (%d) and the default service account (%v): %w", Nodes, ready, saErr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// readyNodes counts the Ready nodes without taints. The TaintNodesByCondition admission
// plugin gives every new node a not-ready taint, which the node lifecycle controller
// would lift; kubetest does not run that controller (without kubelets it would evict
// pods), so it lifts the taint itself once kwok has made the node Ready.
func (c *Cluster) readyNodes(ctx context.Context) (int, error) {
	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("listing nodes: %w", err)
	}
	n := 0
	for i := range nodes.Items {
		node := &nodes.Items[i]
		for _, cond := range node.Status.Conditions {
			if cond.Type != corev1.NodeReady || cond.Status != corev1.ConditionTrue {
				continue
			}
			if len(node.Spec.Taints) == 0 {
				n++
				continue
			}
			node.Spec.Taints = nil
			if _, err := c.Client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
				return 0, fmt.Errorf("removing the taints of node %s: %w", node.Name, err)
			}
		}
	}
	return n, nil
}

// writeKubeconfig writes a kubeconfig for the admin user, certificates inline.
func writeKubeconfig(dir, host string, p *pki) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubetest"] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: p.caPEM}
	cfg.AuthInfos[adminUser] = &clientcmdapi.AuthInfo{ClientCertificateData: p.adminPEM, ClientKeyData: p.keyPEM}
	cfg.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: adminUser, Namespace: "default"}
	cfg.CurrentContext = "kubetest"
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return path, os.Chmod(path, 0o600)
}
