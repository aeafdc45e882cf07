package oip

import (
	"log/slog"
	"net/http"
	"time"
)

type options struct {
	httpClient *http.Client
	logger     *slog.Logger
}

// defaults is the one place where option defaults live.
func defaults() options {
	return options{
		httpClient: &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()},
		logger:     slog.New(slog.DiscardHandler),
	}
}

// Option configures a Client.
type Option func(*options)

// WithHTTPClient sets the HTTP client, e.g. one whose transport authenticates to a
// Kubernetes API server when the base URL is a service-proxy URL. Default: a client with
// its own copy of http.DefaultTransport and a 30 s timeout per request (the caller's
// context can cut it shorter).
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithLogger sets where the client logs each request (Debug). Default: nowhere.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }
