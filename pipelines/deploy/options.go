package deploy

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"
)

type options struct {
	logger        *slog.Logger
	verifier      Verifier
	smoker        Smoker
	prober        Prober
	analysis      Analysis
	promoter      Promoter
	healthPath    string
	lockWait      time.Duration
	leaseDuration time.Duration
	identity      string
	retries       int
	minBackoff    time.Duration
	maxBackoff    time.Duration
	poll          time.Duration
	reachWait     time.Duration
	now           func() time.Time
}

// defaults is the one place where option defaults live.
func defaults() options {
	host, _ := os.Hostname()
	return options{
		logger:        slog.New(slog.DiscardHandler),
		analysis:      DefaultAnalysis(),
		healthPath:    "/v2/health/ready",
		lockWait:      2 * time.Minute,
		leaseDuration: 30 * time.Second,
		identity:      fmt.Sprintf("%s-%d-%06d", host, os.Getpid(), rand.IntN(1e6)),
		retries:       5,
		minBackoff:    100 * time.Millisecond,
		maxBackoff:    3 * time.Second,
		poll:          250 * time.Millisecond,
		reachWait:     15 * time.Second,
		now:           time.Now,
	}
}

// Option configures Deploy.
type Option func(*options)

// WithLogger sets where Deploy logs its steps (Info) and retries (Warn). Default: nowhere.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithVerifier sets the check every image must pass before anything is applied (e.g. its
// signature). Default: none, and Deploy refuses to run without one.
func WithVerifier(v Verifier) Option { return func(o *options) { o.verifier = v } }

// WithSmoker sets the smoke test run through the service proxy after a rollout and after
// a rollback. Default: none (the service only has to answer the health path).
func WithSmoker(s Smoker) Option { return func(o *options) { o.smoker = s } }

// WithProber sets how the canary analysis asks a pod for a prediction. Default: none, and
// the canary strategy refuses to run without one.
func WithProber(p Prober) Option { return func(o *options) { o.prober = p } }

// WithAnalysis sets the canary analysis window and thresholds. Default: DefaultAnalysis().
func WithAnalysis(a Analysis) Option { return func(o *options) { o.analysis = a } }

// WithPromoter sets the hook that moves the model registry's alias to Request.Version
// once the deploy serves, and back on a rollback (a failed promotion rolls back too).
// Default: none.
func WithPromoter(p Promoter) Option { return func(o *options) { o.promoter = p } }

// WithHealthPath sets the path polled through the service proxy until the service
// answers 200 (while endpoints sync), before the smoke test. Default: "/v2/health/ready".
func WithHealthPath(p string) Option { return func(o *options) { o.healthPath = p } }

// WithReachWait sets how long the health path is polled before the service counts as
// unreachable. Default: 15s.
func WithReachWait(d time.Duration) Option { return func(o *options) { o.reachWait = d } }

// WithLock sets how long a deploy waits for another one holding the namespace's lock, and
// the lease duration after which an unrenewed lock counts as stale. Default: 2m and 30s.
func WithLock(wait, leaseDuration time.Duration) Option {
	return func(o *options) { o.lockWait, o.leaseDuration = wait, max(leaseDuration, time.Second) }
}

// WithIdentity sets the lock holder's name. Default: "<hostname>-<pid>-<random>".
func WithIdentity(id string) Option { return func(o *options) { o.identity = id } }

// WithRetries sets how often a transient API error (429, 5xx, timeout, refused
// connection) is retried, and the first and largest wait between tries (doubling).
// Default: 5, 100ms and 3s.
func WithRetries(n int, minWait, maxWait time.Duration) Option {
	return func(o *options) { o.retries, o.minBackoff, o.maxBackoff = max(n, 0), minWait, max(minWait, maxWait) }
}

// WithPollInterval sets how often rollouts and locks are polled. Default: 250ms.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }
