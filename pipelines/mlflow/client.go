package mlflow

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"
)

// RequestIDTag is the tag that CreateRun and CreateModelVersion put on what they create,
// holding a random id chosen once per call. When an attempt fails in a way that may have
// reached the server (a dropped connection, a 5xx), the next attempt first searches for
// that tag, so a retried create returns what the lost attempt made instead of a twin.
const RequestIDTag = "ferry.request_id"

// Client talks to one MLflow tracking server. It is safe for concurrent use.
//
// Every call is retried on 429, 5xx and connection errors, with exponential backoff and
// jitter, until WithRetries attempts or the context ends; other 4xx answers are final.
// Retrying is safe call by call: reads, tag and alias setting, run updates and artifact
// uploads are idempotent; LogBatch fixes timestamps before the first attempt and MLflow
// drops a metric it already holds; creating an experiment or a registered model again
// answers RESOURCE_ALREADY_EXISTS, which GetOrCreateExperiment and EnsureRegisteredModel
// resolve by reading; creating a run or a model version is not idempotent, so those
// calls search for their RequestIDTag before any retry that follows an attempt the
// server may have carried out (a 5xx, a connection cut after the request was sent).
type Client struct {
	base string // scheme://host[:port][/prefix], no trailing slash, never any userinfo
	opts options

	// aliasesMissing is set once the server answered 404 (no such route) for the alias
	// endpoints; from then on aliases live in version tags (see SetAlias).
	aliasesMissing atomic.Bool
}

// New returns a client for the tracking server at trackingURI (http or https, with an
// optional path prefix). Credentials go in options, never in the URI.
func New(trackingURI string, opts ...Option) (*Client, error) {
	u, err := url.Parse(trackingURI)
	if err != nil {
		// url.Parse quotes the whole input, which may hold a password: do not wrap it.
		return nil, errors.New("parsing tracking URI: not a valid URL")
	}
	if u.User != nil {
		return nil, errors.New("parsing tracking URI: credentials in the URI are not accepted; use WithBasicAuth or WithBearerToken")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("parsing tracking URI: scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("parsing tracking URI %q: want scheme://host[:port][/path]", u.Redacted())
	}
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	if o.jitter == nil {
		o.jitter = mrand.Float64
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.httpClient == nil {
		o.httpClient = defaults().httpClient
	}
	return &Client{base: strings.TrimRight(u.String(), "/"), opts: o}, nil
}

// URL returns the tracking server's base URL.
func (c *Client) URL() string { return c.base }

// String describes the client without its credentials.
func (c *Client) String() string {
	auth := c.opts.auth.kind
	if auth == "" {
		auth = "none"
	}
	return fmt.Sprintf("mlflow.Client{url: %s, auth: %s}", c.base, auth)
}

// GoString is String, so %#v cannot reach the credentials either.
func (c *Client) GoString() string { return c.String() }

// Format prints String for every verb.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue logs String.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// newRequestID returns a random id for RequestIDTag.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// quote renders s as a string literal for an MLflow filter expression.
func quote(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}
