package oip

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Error is a non-2xx answer from the inference server (or a proxy in front of it).
type Error struct {
	Method     string // HTTP method of the request
	Path       string // URL path of the request, base prefix included, without host or query
	StatusCode int    // HTTP status
	Message    string // the body's "error" (or FastAPI's "detail"), else the body text, truncated
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("oip %s %s: %d: %s", e.Method, e.Path, e.StatusCode, msg)
}

// IsClientError reports whether err is an answer with a 4xx status: the server understood
// the call and rejected it (bad request, unknown model, wrong tensor).
func IsClientError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode >= 400 && e.StatusCode < 500
}

// IsNotFound reports whether err is a 404: an unknown model or version, or a route the
// server does not have.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsNotReady reports whether err says the server answered but is not ready: a non-2xx
// from a health or readiness route (Live, Ready, ModelReady), or 503 from any route.
// A connection error is not "not ready": nothing answered.
func IsNotReady(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.StatusCode == http.StatusServiceUnavailable ||
		strings.HasSuffix(e.Path, "/ready") || strings.HasSuffix(e.Path, "/health/live")
}

func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == status
}

// maxErrorBody bounds how much of an error response is read; maxMessage how much is kept.
const (
	maxErrorBody = 64 << 10
	maxMessage   = 1024
)

// decodeError turns a non-2xx response into an *Error. The protocol's error object is
// {"error": "..."}; FastAPI (under MLServer) answers a request that fails validation with
// 422 {"detail": [...]}, which is kept as JSON text. Any other body is quoted as text,
// truncated; of a Python traceback only the last line (the exception) is kept; an HTML
// error page (a proxy's) is replaced by the status text.
func decodeError(method, path string, status int, body []byte) *Error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	var proto errorBody
	var fast fastAPIError
	switch {
	case json.Unmarshal(body, &proto) == nil && proto.Error != nil:
		e.Message = *proto.Error
	case json.Unmarshal(body, &fast) == nil && len(fast.Detail) > 0:
		var s string
		if json.Unmarshal(fast.Detail, &s) == nil {
			e.Message = s
		} else {
			e.Message = string(fast.Detail)
		}
	default:
		e.Message = strings.TrimSpace(string(body))
		// MLServer in debug mode (its default) answers an exception with the traceback
		// as text: its last line names the exception, which is what the caller needs.
		if strings.HasPrefix(e.Message, "Traceback (most recent call last):") {
			e.Message = e.Message[strings.LastIndexByte(e.Message, '\n')+1:]
		}
		if lower := strings.ToLower(e.Message); strings.Contains(lower, "<html") || strings.Contains(lower, "<!doctype") {
			e.Message = http.StatusText(status)
		}
	}
	e.Message = truncate(e.Message, maxMessage)
	return e
}

// fastAPIError is not part of the protocol: it is what FastAPI, under MLServer, answers
// when a request fails validation (422), e.g. an unknown datatype.
type fastAPIError struct {
	Detail json.RawMessage `json:"detail"`
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
