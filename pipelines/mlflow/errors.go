package mlflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// MLflow error codes (databricks.proto ErrorCode) that callers branch on. Error.Code holds
// the server's code verbatim, so codes not listed here still reach the caller.
const (
	CodeResourceAlreadyExists  = "RESOURCE_ALREADY_EXISTS"
	CodeResourceDoesNotExist   = "RESOURCE_DOES_NOT_EXIST"
	CodeInvalidParameterValue  = "INVALID_PARAMETER_VALUE"
	CodeBadRequest             = "BAD_REQUEST"
	CodePermissionDenied       = "PERMISSION_DENIED"
	CodeUnauthenticated        = "UNAUTHENTICATED"
	CodeRequestLimitExceeded   = "REQUEST_LIMIT_EXCEEDED"
	CodeTemporarilyUnavailable = "TEMPORARILY_UNAVAILABLE"
	CodeInternalError          = "INTERNAL_ERROR"
	CodeNotImplemented         = "NOT_IMPLEMENTED"
	// CodeEndpointNotFound is what the client reports for a 404 whose body is not an MLflow
	// error: the route does not exist on this server (as MLflow's own Python client does).
	CodeEndpointNotFound = "ENDPOINT_NOT_FOUND"
)

// Error is an error answered by the MLflow server (or a proxy in front of it).
type Error struct {
	Method     string // HTTP method of the request
	Path       string // URL path of the request, without host or query
	StatusCode int    // HTTP status
	Code       string // MLflow error_code, or one derived from the status when the body had none
	Message    string // server's message, with any credential the client holds removed

	retryAfter time.Duration // the server's Retry-After, if any
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("mlflow %s %s: %d %s: %s", e.Method, e.Path, e.StatusCode, e.Code, msg)
}

// IsNotFound reports whether err says that an MLflow resource (experiment, run, model,
// version, alias, artifact) does not exist. A missing endpoint is not a missing resource.
func IsNotFound(err error) bool {
	return hasCode(err, CodeResourceDoesNotExist, "NOT_FOUND")
}

// IsAlreadyExists reports whether err says that the resource being created already exists.
func IsAlreadyExists(err error) bool {
	return hasCode(err, CodeResourceAlreadyExists, "ALREADY_EXISTS")
}

// IsInvalidParameter reports whether err says that a request parameter was rejected.
func IsInvalidParameter(err error) bool {
	return hasCode(err, CodeInvalidParameterValue, CodeBadRequest)
}

// IsPermission reports whether err says the credentials were missing, wrong or insufficient.
func IsPermission(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden ||
		hasCode(err, CodePermissionDenied, CodeUnauthenticated, "CUSTOMER_UNAUTHORIZED")
}

// IsEndpointNotFound reports whether err says the server has no such route (an older server).
func IsEndpointNotFound(err error) bool {
	return hasCode(err, CodeEndpointNotFound)
}

func hasCode(err error, codes ...string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// maxErrorBody bounds how much of an error response is read and quoted.
const maxErrorBody = 4 << 10

// decodeError turns a non-2xx response body into an *Error. redact removes credentials
// from anything the server (or a proxy) echoed back.
func decodeError(method, path string, status int, body []byte, redact func(string) string) *Error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	var wire struct {
		ErrorCode string `json:"error_code"`
		Message   string `json:"message"`
	}
	if json.Unmarshal(body, &wire) == nil && wire.ErrorCode != "" {
		e.Code, e.Message = wire.ErrorCode, wire.Message
	} else {
		e.Code = codeForStatus(status)
		e.Message = strings.TrimSpace(string(body))
		if strings.Contains(e.Message, "<html") || strings.Contains(e.Message, "<!doctype") {
			e.Message = http.StatusText(status) // an HTML error page says nothing more
		}
	}
	if len(e.Message) > 1024 {
		e.Message = e.Message[:1024] + "…"
	}
	e.Message = redact(e.Message)
	return e
}

// codeForStatus mirrors mlflow.exceptions.HTTP_STATUS_TO_ERROR_CODE for bodies without a code.
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest
	case http.StatusUnauthorized:
		return CodeUnauthenticated
	case http.StatusForbidden:
		return CodePermissionDenied
	case http.StatusNotFound:
		return CodeEndpointNotFound
	case http.StatusTooManyRequests:
		return CodeRequestLimitExceeded
	case http.StatusNotImplemented:
		return CodeNotImplemented
	case http.StatusServiceUnavailable:
		return CodeTemporarilyUnavailable
	default:
		return CodeInternalError
	}
}
