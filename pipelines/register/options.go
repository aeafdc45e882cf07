package register

import (
	"log/slog"
	"time"
)

type options struct {
	logger       *slog.Logger
	readyTimeout time.Duration
}

// defaults is the one place where option defaults live.
func defaults() options {
	return options{logger: slog.New(slog.DiscardHandler), readyTimeout: 5 * time.Minute}
}

// Option configures Register.
type Option func(*options)

// WithLogger sets where Register reports its steps (Info) and what it reused or could not
// undo (Warn). Default: nowhere.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithReadyTimeout bounds the wait for a new model version to become READY. Default: 5m.
func WithReadyTimeout(d time.Duration) Option { return func(o *options) { o.readyTimeout = d } }

func newOptions(opts []Option) options {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
