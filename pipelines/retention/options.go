package retention

import (
	"crypto/tls"
	"log/slog"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type options struct {
	keychain  authn.Keychain
	auth      authn.Authenticator
	insecure  bool
	dryRun    bool
	logger    *slog.Logger
	transport http.RoundTripper
	jobs      int
}

// defaults is the one place where option defaults live.
func defaults() options {
	return options{
		keychain:  authn.DefaultKeychain,
		logger:    slog.New(slog.DiscardHandler),
		transport: remote.DefaultTransport,
		jobs:      4,
	}
}

// Option configures a Pruner.
type Option func(*options)

// WithKeychain resolves credentials per registry from a keychain.
// Default: authn.DefaultKeychain (the Docker config file). WithAuth replaces it.
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) { o.keychain, o.auth = k, nil }
}

// WithAuth uses one authenticator for every request, e.g. &authn.Basic{…}.
// Default: none (the keychain is used). Its secrets never reach logs, errors or plans.
func WithAuth(a authn.Authenticator) Option {
	return func(o *options) { o.auth, o.keychain = a, nil }
}

// WithInsecure allows plain HTTP and unverified TLS certificates for the registry.
// Default: off (loopback registries such as 127.0.0.1:PORT use HTTP anyway).
func WithInsecure(insecure bool) Option { return func(o *options) { o.insecure = insecure } }

// WithDryRun makes Apply report what it would delete and delete nothing. Default: off.
func WithDryRun(dryRun bool) Option { return func(o *options) { o.dryRun = dryRun } }

// WithLogger sets where the pruner logs what it resolves (Debug) and deletes (Info).
// Default: nowhere.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithTransport sets the HTTP transport. Default: remote.DefaultTransport.
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithJobs sets how many manifests are fetched at once while planning. Default: 4.
func WithJobs(n int) Option { return func(o *options) { o.jobs = max(n, 1) } }

func (o options) nameOptions() []name.Option {
	if o.insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (o options) remoteOptions() []remote.Option {
	t := o.transport
	if o.insecure {
		if ht, ok := t.(*http.Transport); ok {
			ht = ht.Clone()
			if ht.TLSClientConfig == nil {
				ht.TLSClientConfig = &tls.Config{}
			}
			ht.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // asked for by WithInsecure
			t = ht
		}
	}
	ro := []remote.Option{remote.WithTransport(t), remote.WithUserAgent("ferry-retention")}
	if o.auth != nil {
		return append(ro, remote.WithAuth(o.auth))
	}
	return append(ro, remote.WithAuthFromKeychain(o.keychain))
}
