package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// serviceProxy returns the API server's proxy URL of a Service given as
// NAMESPACE/NAME:PORT, and an HTTP client authenticated by the kubeconfig:
// a model served in any cluster the kubeconfig reaches, without port
// forwarding or ingress.
func serviceProxy(kubeconfig, service string) (string, *http.Client, error) {
	ns, rest0, ok := strings.Cut(service, "/")
	if !ok || ns == "" || rest0 == "" || !strings.Contains(rest0, ":") {
		return "", nil, fmt.Errorf("%w: --service %q: want NAMESPACE/NAME:PORT, e.g. ferry-staging/diamonds:http", errUsage, service)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return "", nil, fmt.Errorf("reading the kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.Timeout = 30 * time.Second
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("building a client for %s: %w", cfg.Host, err)
	}
	name, port, _ := strings.Cut(rest0, ":")
	base := strings.TrimRight(cfg.Host, "/") + "/api/v1/namespaces/" + ns + "/services/" + name + ":" + port + "/proxy"
	return base, hc, nil
}

// hasFlag reports whether args set the named flag (-name or --name, with or
// without =value).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}
