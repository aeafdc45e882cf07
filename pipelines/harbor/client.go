package harbor

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	rtclient "github.com/go-openapi/runtime/client"
	"github.com/go-openapi/strfmt"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/artifact"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/project"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/retention"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/scan"
)

// basePath is where Harbor serves its v2.0 API.
const basePath = "/api/v2.0"

// Credentials are a Harbor user's or robot account's. String never shows the password.
type Credentials struct {
	Username string
	Password string
}

// String names the user and hides the password.
func (c Credentials) String() string {
	return fmt.Sprintf("harbor user %q (password hidden)", c.Username)
}

// GoString hides the password from %#v as well.
func (c Credentials) GoString() string { return c.String() }

type options struct {
	transport http.RoundTripper
	insecure  bool
	logger    *slog.Logger
}

// Option configures a Client.
type Option func(*options)

// WithTransport sets the HTTP transport. Default: a clone of http.DefaultTransport.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithInsecure skips TLS certificate verification. Default: off.
func WithInsecure(insecure bool) Option { return func(o *options) { o.insecure = insecure } }

// WithLogger sets where the client logs what it does (Debug, Info). Default: nowhere.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// Client talks to one Harbor instance as one account.
type Client struct {
	url       string
	log       *slog.Logger
	projects  *project.Client
	retention *retention.Client
	scans     *scan.Client
	artifacts *artifact.Client
}

// New returns a client for the Harbor at baseURL (https://harbor.example.com;
// /api/v2.0 is added when the path is empty).
func New(baseURL string, creds Credentials, opts ...Option) (*Client, error) {
	o := options{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing Harbor URL: it is not a URL; want http(s)://HOST[:PORT], e.g. https://harbor.example.com")
	}
	if u.User != nil {
		return nil, fmt.Errorf("parsing Harbor URL %s: it holds credentials; pass them as Credentials instead", u.Redacted())
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("parsing Harbor URL %q: want http(s)://HOST[:PORT], e.g. https://harbor.example.com", baseURL)
	}
	if creds.Username == "" {
		return nil, fmt.Errorf("configuring Harbor client: the username is empty; give a Harbor user or robot account")
	}
	path := strings.TrimSuffix(u.Path, "/")
	if path == "" {
		path = basePath
	}
	t := o.transport
	if t == nil {
		t = http.DefaultTransport.(*http.Transport).Clone()
	}
	if ht, ok := t.(*http.Transport); ok && o.insecure {
		ht = ht.Clone()
		if ht.TLSClientConfig == nil {
			ht.TLSClientConfig = &tls.Config{}
		}
		ht.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // asked for by WithInsecure
		t = ht
	}
	rt := rtclient.New(u.Host, path, []string{u.Scheme})
	rt.Transport = t
	// go-openapi dumps whole requests, Authorization header included, to
	// stderr when DEBUG or SWAGGER_DEBUG is set: never let it.
	rt.SetDebug(false)
	auth := rtclient.BasicAuth(creds.Username, creds.Password)
	return &Client{
		url:       u.Scheme + "://" + u.Host + path,
		log:       o.logger,
		projects:  project.New(rt, strfmt.Default, auth),
		retention: retention.New(rt, strfmt.Default, auth),
		scans:     scan.New(rt, strfmt.Default, auth),
		artifacts: artifact.New(rt, strfmt.Default, auth),
	}, nil
}

// String names the Harbor API the client talks to.
func (c *Client) String() string { return "harbor client for " + c.url }
