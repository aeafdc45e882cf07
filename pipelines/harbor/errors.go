package harbor

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/go-openapi/runtime"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/models"
)

// Error is a request Harbor refused or failed.
type Error struct {
	Op      string // what ferry was doing, e.g. `creating project "ferry"`
	Status  int    // HTTP status; 0 when no answer came
	Code    string // Harbor's error code (NOT_FOUND, UNAUTHORIZED, …), when it sent one
	Message string // Harbor's message
	Hint    string // how to fix it
	err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "harbor: %s", e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

// Unwrap returns the go-client error underneath.
func (e *Error) Unwrap() error { return e.err }

// IsNotFound reports whether err says a project, policy or artifact does not exist.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsUnauthorized reports whether Harbor rejected the credentials (401).
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsForbidden reports whether the account lacks a permission (403).
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsConflict reports whether what was being created already exists (409).
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// statuses are the codes go-client's typed responses can stand for.
var statuses = []int{400, 401, 403, 404, 405, 409, 412, 415, 422, 500}

// wrap turns a go-client error into an *Error with a hint; hints maps a status
// to advice for this operation, over the general advice below.
func wrap(op string, err error, hints map[int]string) error {
	e := &Error{Op: op, err: err}
	var api *runtime.APIError
	if errors.As(err, &api) {
		e.Status = api.Code
	} else if coded, ok := err.(interface{ IsCode(int) bool }); ok {
		for _, s := range statuses {
			if coded.IsCode(s) {
				e.Status = s
				break
			}
		}
	}
	if p, ok := err.(interface{ GetPayload() *models.Errors }); ok && p.GetPayload() != nil {
		var msgs []string
		for _, x := range p.GetPayload().Errors {
			if x != nil {
				e.Code = x.Code
				msgs = append(msgs, x.Message)
			}
		}
		e.Message = strings.Join(msgs, "; ")
	}
	if e.Status == 0 {
		e.Message = err.Error() // a transport failure: no status, no payload
	}
	e.Hint = hints[e.Status]
	if e.Hint == "" {
		e.Hint = generalHints[e.Status]
	}
	return e
}

var generalHints = map[int]string{
	0:   "check that the Harbor URL is right and reachable",
	401: "check the Harbor username and password (a robot account's name starts with robot$, e.g. robot$ferry+ci)",
	403: "the account lacks a permission: make it a project admin or give the robot account the needed permissions",
	404: "check the name; it does not exist in this Harbor",
	409: "it already exists",
	500: "Harbor failed; see its core log (the request was well-formed)",
}
