package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// apiClient talks to the local API server as system:admin.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(ca *authority, port int) (*apiClient, error) {
	pair, err := tls.LoadX509KeyPair(ca.path("client-admin.crt"), ca.path("client-admin.key"))
	if err != nil {
		return nil, fmt.Errorf("loading admin credentials: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}}
	return &apiClient{
		base: "https://127.0.0.1:" + strconv.Itoa(port),
		http: &http.Client{Transport: tr, Timeout: 5 * time.Second},
	}, nil
}

func (c *apiClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, nil
}

// labelNode merges labels into a Node's metadata.
func (c *apiClient) labelNode(ctx context.Context, name string, labels map[string]string) error {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, c.base+"/api/v1/nodes/"+name, bytes.NewReader(patch))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/merge-patch+json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("labelling node %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("labelling node %s: %s: %s", name, resp.Status, body)
	}
	return nil
}

// ready is nil once the API server's /readyz passes.
func (c *apiClient) ready(ctx context.Context) error {
	_, err := c.get(ctx, "/readyz")
	return err
}

// nodeReady is nil once the Node has condition Ready=True posted at or
// after since: a Node left Ready by an earlier run on the same data dir
// does not count until this run's kubelet has reported.
func (c *apiClient) nodeReady(ctx context.Context, name string, since time.Time) error {
	body, err := c.get(ctx, "/api/v1/nodes/"+name)
	if err != nil {
		return err
	}
	var node struct {
		Status struct {
			Conditions []struct {
				Type, Status, Reason, Message string
				LastHeartbeatTime             time.Time `json:"lastHeartbeatTime"`
			} `json:"conditions"`
		} `json:"status"`
	}
	if err := json.Unmarshal(body, &node); err != nil {
		return fmt.Errorf("decoding node %s: %w", name, err)
	}
	for _, cond := range node.Status.Conditions {
		if cond.Type == "Ready" {
			if cond.LastHeartbeatTime.Before(since.Truncate(time.Second)) {
				return fmt.Errorf("node %s: no status from this run's kubelet yet", name)
			}
			if cond.Status == "True" {
				return nil
			}
			return fmt.Errorf("node %s not ready: %s: %s", name, cond.Reason, cond.Message)
		}
	}
	return fmt.Errorf("node %s has no Ready condition yet", name)
}
