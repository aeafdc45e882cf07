package source

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Sentinel errors, for errors.Is on an *Error.
var (
	ErrNotFound    = errors.New("not found")
	ErrForbidden   = errors.New("access denied")
	ErrTooLarge    = errors.New("too large")
	ErrChanged     = errors.New("changed while reading")
	ErrUnsupported = errors.New("unsupported URI scheme")
	ErrNotFile     = errors.New("not a file")
	ErrRemote      = errors.New("remote error")
)

// Error is a failure to reach or read an object. It never holds credentials.
type Error struct {
	// URI is the object's location, redacted.
	URI string
	// Op is the step that failed, e.g. "HEAD" or "opening".
	Op string
	// Status is the HTTP status, when there was one.
	Status int
	// Code and Message are the store's error code and message (S3), when given.
	Code, Message string
	// Fix says how to fix it.
	Fix string
	// Err is a sentinel error or the underlying cause.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %v", e.Op, e.URI, e.Err)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			b.WriteString(" " + e.Code)
		}
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Fix != "" {
		b.WriteString(": " + e.Fix)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsNotFound reports whether err says the object is not there.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsForbidden reports whether err says access was denied.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbidden) }

// IsTooLarge reports whether err says the object is over the size limit.
func IsTooLarge(err error) bool { return errors.Is(err, ErrTooLarge) }

// sensitiveQuery are query keys that carry credentials (presigned URLs, API keys).
var sensitiveQuery = []string{"signature", "credential", "token", "key", "secret", "password", "sig"}

// Redact replaces the URI's user info and the values of query
// parameters that look like credentials.
func Redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || u.Scheme == "file" {
		return uri
	}
	q := u.Query()
	changed := false
	for k := range q {
		for _, s := range sensitiveQuery {
			if strings.Contains(strings.ToLower(k), s) {
				q.Set(k, "redacted")
				changed = true
			}
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	return u.String()
}
