package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// transient reports whether a failed API call is worth repeating: throttling (429), server
// errors (5xx), server-side timeouts, and requests that got no answer (refused or reset
// connections, timeouts, a connection closed mid-answer). Everything else — invalid
// objects, conflicts, forbidden — is final.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code == 429 || code >= 500 || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE)
}

// retry runs f until it succeeds, fails for good, or has been retried o.retries times,
// waiting min doubling to max backoff (jittered) between tries; what names the call.
func (d *deployer) retry(ctx context.Context, what string, f func(context.Context) error) error {
	return d.retryIf(ctx, what, f, transient)
}

// retryReading is retry for an f that reads the object before writing it: a conflict
// (the object changed in between, e.g. a controller updated its status) is worth
// repeating too.
func (d *deployer) retryReading(ctx context.Context, what string, f func(context.Context) error) error {
	return d.retryIf(ctx, what, f, func(err error) bool { return transient(err) || apierrors.IsConflict(err) })
}

func (d *deployer) retryIf(ctx context.Context, what string, f func(context.Context) error, again func(error) bool) error {
	wait := d.o.minBackoff
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		if err == nil || !again(err) || attempt >= d.o.retries {
			if err != nil && attempt > 0 {
				return fmt.Errorf("%s (after %d retries): %w", what, attempt, err)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
		d.retries.Add(1)
		d.o.logger.Warn("retrying a transient API error", "call", what, "attempt", attempt+1, "err", err)
		sleep := wait/2 + rand.N(wait/2+1)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(sleep):
		}
		wait = min(wait*2, d.o.maxBackoff)
	}
}
