package mlflow

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// retryable reports whether a failed attempt is worth repeating, and any wait the server
// asked for. Throttling (429), server errors (5xx but 501 Not Implemented and 505) and
// requests that got no answer are; every other 4xx is final, and so is a certificate that
// does not verify.
func retryable(err error) (bool, time.Duration) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false, 0
	}
	var e *Error
	if errors.As(err, &e) {
		switch {
		case e.StatusCode == http.StatusTooManyRequests:
			return true, e.retryAfter
		case e.StatusCode == http.StatusNotImplemented, e.StatusCode == http.StatusHTTPVersionNotSupported:
			return false, 0
		case e.StatusCode >= 500:
			return true, e.retryAfter
		}
		return false, 0
	}
	var (
		unknownCA   x509.UnknownAuthorityError
		invalidCert x509.CertificateInvalidError
		hostname    x509.HostnameError
		verify      *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &invalidCert) || errors.As(err, &hostname) || errors.As(err, &verify) {
		return false, 0
	}
	var te *transportError
	return errors.As(err, &te), 0
}

// mayHaveReachedServer reports whether a failed attempt could have been carried out by the
// server: a 5xx, or a connection that broke after it was made. A refused connection or a
// 429 means it was not, so a retried create needs no search first.
func mayHaveReachedServer(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode >= 500
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var te *transportError
	return errors.As(err, &te)
}

// backoff returns the wait before the retry that follows attempt n (1-based): the base
// doubles from minBackoff up to maxBackoff and is jittered into [base/2, base); a larger
// Retry-After from the server wins, capped at maxBackoff.
func (c *Client) backoff(n int, hint time.Duration) time.Duration {
	base := c.opts.minBackoff
	for i := 1; i < n && base < c.opts.maxBackoff; i++ {
		base *= 2
	}
	base = min(base, c.opts.maxBackoff)
	d := base/2 + time.Duration(c.opts.jitter()*float64(base/2))
	if hint > d {
		d = min(hint, c.opts.maxBackoff)
	}
	return d
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
