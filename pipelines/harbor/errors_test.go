package harbor

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-openapi/runtime"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/artifact"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/project"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/models"
)

// wrap classifies every kind of error go-client returns.
func TestWrapClassifies(t *testing.T) {
	conflict := project.NewCreateProjectConflict()
	conflict.Payload = &models.Errors{Errors: []*models.Error{{Code: "CONFLICT", Message: "The project named ferry already exists"}}}
	tests := []struct {
		name                              string
		err                               error
		notFound, unauthorized, conflicts bool
		status                            int
		text                              string
	}{
		{"typed 409 with payload", conflict, false, false, true, 409, "already exists"},
		{"typed 404", artifact.NewGetArtifactNotFound(), true, false, false, 404, "check the name"},
		{"typed 401", project.NewListProjectsUnauthorized(), false, true, false, 401, "username and password"},
		{"undeclared status", runtime.NewAPIError("getProject", nil, 404), true, false, false, 404, "Not Found"},
		{"transport failure", errors.New("dial tcp 127.0.0.1:1: connection refused"), false, false, false, 0, "reachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrap("doing it", tt.err, nil)
			var e *Error
			if !errors.As(err, &e) || e.Status != tt.status || !errors.Is(err, tt.err) {
				t.Fatalf("wrap(%v) = %#v; want status %d wrapping the original", tt.err, err, tt.status)
			}
			if IsNotFound(err) != tt.notFound || IsUnauthorized(err) != tt.unauthorized || IsConflict(err) != tt.conflicts {
				t.Errorf("wrap(%v): IsNotFound %v, IsUnauthorized %v, IsConflict %v; want %v %v %v", tt.err,
					IsNotFound(err), IsUnauthorized(err), IsConflict(err), tt.notFound, tt.unauthorized, tt.conflicts)
			}
			if !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "harbor: doing it") {
				t.Errorf("wrap(%v).Error() = %q; want it to contain %q", tt.err, err, tt.text)
			}
		})
	}
	if IsNotFound(errors.New("plain")) || IsNotFound(nil) {
		t.Errorf("predicates must be false for errors that are not Harbor's")
	}
}
