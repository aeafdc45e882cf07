package mlflow

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

type options struct {
	httpClient   *http.Client
	logger       *slog.Logger
	auth         credentials
	maxRetries   int
	minBackoff   time.Duration
	maxBackoff   time.Duration
	pollInterval time.Duration
	userAgent    string
	jitter       func() float64 // in [0,1); replaced in tests
}

// defaults is the one place where option defaults live.
func defaults() options {
	return options{
		httpClient:   &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		logger:       slog.New(slog.DiscardHandler),
		maxRetries:   5,
		minBackoff:   200 * time.Millisecond,
		maxBackoff:   5 * time.Second,
		pollInterval: 500 * time.Millisecond,
		userAgent:    "ferry-mlflow",
	}
}

// Option configures a Client.
type Option func(*options)

// WithHTTPClient sets the HTTP client. Default: a client with its own copy of
// http.DefaultTransport and no timeout (deadlines come from the caller's context).
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.httpClient = hc } }

// WithLogger sets where the client logs requests (Debug) and retries (Warn). Default: nowhere.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithBearerToken sends "Authorization: Bearer <token>". Default: no credentials.
// The token never appears in errors, logs or String().
func WithBearerToken(token string) Option {
	return func(o *options) { o.auth = newCredentials("Bearer "+token, token) }
}

// WithBasicAuth sends HTTP basic auth (MLflow's basic-auth app). Default: no credentials.
// The password never appears in errors, logs or String().
func WithBasicAuth(username, password string) Option {
	return func(o *options) {
		enc := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
		o.auth = newCredentials("Basic "+enc, password, enc)
	}
}

// WithRetries sets how many times a failed request is retried after the first attempt
// (on 429, 5xx other than 501/505, and connection errors; never on other 4xx). Default: 5.
func WithRetries(n int) Option { return func(o *options) { o.maxRetries = max(n, 0) } }

// WithBackoff sets the first and the largest wait between retries; waits double from min
// up to max, with jitter in [d/2, d). Default: 200ms and 5s.
func WithBackoff(minWait, maxWait time.Duration) Option {
	return func(o *options) { o.minBackoff, o.maxBackoff = minWait, max(minWait, maxWait) }
}

// WithPollInterval sets how often WaitModelVersionReady polls. Default: 500ms.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.pollInterval = d } }

// WithUserAgent sets the User-Agent header. Default: "ferry-mlflow".
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// credentials holds the Authorization header behind closures: fmt and slog print a func
// as an address, so no way of printing a Client or its options can reveal a secret.
type credentials struct {
	kind   string              // "bearer", "basic" or "" for none
	header func() string       // Authorization header value
	redact func(string) string // replaces every form of the secret in s
}

func newCredentials(header string, secrets ...string) credentials {
	kind := strings.ToLower(strings.SplitN(header, " ", 2)[0])
	var nonEmpty []string
	for _, s := range secrets {
		if s != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	return credentials{
		kind:   kind,
		header: func() string { return header },
		redact: func(s string) string {
			for _, sec := range nonEmpty {
				s = strings.ReplaceAll(s, sec, "[REDACTED]")
			}
			return s
		},
	}
}

// redactString removes every secret the client holds from s.
func (c credentials) redactString(s string) string {
	if c.redact == nil {
		return s
	}
	return c.redact(s)
}
