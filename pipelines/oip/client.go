package oip

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to one inference server over the Open Inference Protocol's REST API.
// It is safe for concurrent use. It never retries: Infer is not idempotent for every
// model, and a probe must see each failure; WaitModelReady polls.
type Client struct {
	base string // scheme://host[:port][/escaped prefix], no trailing slash
	opts options
}

// New returns a client for the server at baseURL (http or https). baseURL may carry a
// path prefix, e.g. a Kubernetes service-proxy URL
// https://host/api/v1/namespaces/NS/services/NAME:http/proxy: the protocol's /v2/...
// routes are joined onto it. Credentials do not go in the URL: pass WithHTTPClient with
// a transport that adds them.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		// url.Parse quotes the whole input, which may hold a password: do not wrap it.
		return nil, errors.New("parsing the inference server URL: not a valid URL; want http(s)://host[:port][/prefix]")
	}
	if u.User != nil {
		return nil, errors.New("parsing the inference server URL: credentials in the URL are not accepted; use WithHTTPClient with an authenticating transport")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("parsing the inference server URL %q: scheme %q is not http or https", u.Redacted(), u.Scheme)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("parsing the inference server URL %q: want http(s)://host[:port][/prefix], without query or fragment", u.Redacted())
	}
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	if o.httpClient == nil {
		o.httpClient = defaults().httpClient
	}
	if o.logger == nil {
		o.logger = defaults().logger
	}
	base := u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/")
	return &Client{base: base, opts: o}, nil
}

// URL returns the base URL the routes are joined onto.
func (c *Client) URL() string { return c.base }

// Live checks GET /v2/health/live: nil when the server is live.
func (c *Client) Live(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/v2/health/live", nil, nil)
}

// Ready checks GET /v2/health/ready: nil when the server (and every model) is ready.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/v2/health/ready", nil, nil)
}

// ModelReady checks GET /v2/models/NAME[/versions/VERSION]/ready: nil when the model is
// ready. version "" leaves the choice of version to the server.
func (c *Client) ModelReady(ctx context.Context, name, version string) error {
	p, err := modelPath(name, version, "/ready")
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodGet, p, nil, nil)
}

// WaitModelReady polls ModelReady every interval until it succeeds or ctx ends, and then
// returns the last error. A model that is loading answers 4xx or 503, and a server that is
// starting refuses connections: both are waited out.
func (c *Client) WaitModelReady(ctx context.Context, name, version string, interval time.Duration) error {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	for {
		err := c.ModelReady(ctx, name, version)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for model %q to be ready: %w (last answer: %w)", name, ctx.Err(), err)
		case <-time.After(interval):
		}
	}
}

// ServerMetadata reads GET /v2.
func (c *Client) ServerMetadata(ctx context.Context) (ServerMetadata, error) {
	var md ServerMetadata
	err := c.do(ctx, http.MethodGet, "/v2", nil, &md)
	return md, err
}

// ModelMetadata reads GET /v2/models/NAME[/versions/VERSION].
func (c *Client) ModelMetadata(ctx context.Context, name, version string) (ModelMetadata, error) {
	var md ModelMetadata
	p, err := modelPath(name, version, "")
	if err == nil {
		err = c.do(ctx, http.MethodGet, p, nil, &md)
	}
	return md, err
}

// Infer posts req to /v2/models/NAME[/versions/VERSION]/infer.
func (c *Client) Infer(ctx context.Context, name, version string, req InferenceRequest) (InferenceResponse, error) {
	var resp InferenceResponse
	p, err := modelPath(name, version, "/infer")
	if err != nil {
		return resp, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return resp, fmt.Errorf("encoding the inference request for %q: %w", name, err)
	}
	err = c.do(ctx, http.MethodPost, p, body, &resp)
	return resp, err
}

// modelPath is /v2/models/NAME[/versions/VERSION]suffix with both segments escaped.
func modelPath(name, version, suffix string) (string, error) {
	for what, v := range map[string]string{"model name": name, "model version": version} {
		if v == "." || v == ".." || (what == "model name" && v == "") {
			return "", fmt.Errorf("building the route: %s %q is not a usable path segment; give the name the server loaded", what, v)
		}
	}
	p := "/v2/models/" + url.PathEscape(name)
	if version != "" {
		p += "/versions/" + url.PathEscape(version)
	}
	return p + suffix, nil
}

// do sends one request to base+path (path already escaped) and decodes a 2xx JSON body
// into out, if out is not nil; a non-2xx answer becomes an *Error.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("oip %s %s: building the request: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.opts.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("oip %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	c.opts.logger.DebugContext(ctx, "oip request", "method", method, "path", req.URL.EscapedPath(),
		"status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if resp.StatusCode >= 500 {
			// uvicorn (under MLServer) closes the connection right after answering an
			// unhandled exception, without "Connection: close": drop the idle connections
			// so that the next request does not pick the closing one and fail with a reset.
			c.opts.httpClient.CloseIdleConnections()
		}
		return decodeError(method, req.URL.EscapedPath(), resp.StatusCode, b)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("oip %s %s: decoding the %d response: %w", method, req.URL.EscapedPath(), resp.StatusCode, err)
	}
	return nil
}
