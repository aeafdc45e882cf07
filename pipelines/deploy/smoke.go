package deploy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Smoker checks that a served model answers correctly.
type Smoker interface {
	// Smoke sends its requests to base, an API server proxy URL (a service's or a pod's,
	// ending in "/proxy"), with hc, which carries the API server's credentials.
	Smoke(ctx context.Context, hc *http.Client, base string) error
}

// SmokeFunc adapts a function to Smoker.
type SmokeFunc func(ctx context.Context, hc *http.Client, base string) error

// Smoke calls f.
func (f SmokeFunc) Smoke(ctx context.Context, hc *http.Client, base string) error {
	return f(ctx, hc, base)
}

// ServiceProxyURL is the API server's proxy to the named port of a Service:
// <host>/api/v1/namespaces/<ns>/services/<name>:<port>/proxy. It reaches the service
// from wherever the kubeconfig reaches the API server.
func ServiceProxyURL(host, ns, name, port string) string {
	return strings.TrimRight(host, "/") + "/api/v1/namespaces/" + url.PathEscape(ns) +
		"/services/" + url.PathEscape(name) + ":" + url.PathEscape(port) + "/proxy"
}

// PodProxyURL is the API server's proxy to a port of a pod.
func PodProxyURL(host, ns, pod string, port int32) string {
	return fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s:%d/proxy", strings.TrimRight(host, "/"),
		url.PathEscape(ns), url.PathEscape(pod), port)
}

func (d *deployer) serviceURL() string {
	return ServiceProxyURL(d.cfg.Host, d.p.Namespace, d.p.service.GetName(), d.p.Port)
}

// smoke waits until base answers the health path (endpoints take a moment to sync after
// a rollout), then runs the Smoker once.
func (d *deployer) smoke(ctx context.Context, base string) (string, error) {
	began := time.Now()
	if err := d.reach(ctx, base); err != nil {
		return "", err
	}
	if d.o.smoker == nil {
		return fmt.Sprintf("%s answered 200 (no smoke test configured)", d.o.healthPath), nil
	}
	if err := d.o.smoker.Smoke(ctx, d.hc, base); err != nil {
		return "", fmt.Errorf("smoke test through %s: %w", base, err)
	}
	return fmt.Sprintf("passed in %s", time.Since(began).Round(time.Millisecond)), nil
}

// reach polls base+healthPath until it answers 200, for up to o.reachWait.
func (d *deployer) reach(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, d.o.reachWait)
	defer cancel()
	var last string
	for {
		status, err := get(ctx, d.hc, base+d.o.healthPath)
		if err == nil && status == http.StatusOK {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("HTTP %d", status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer 200 within %s: last answer %s", base+d.o.healthPath, d.o.reachWait, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, hc *http.Client, u string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}
