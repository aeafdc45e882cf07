package deploy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestTransient(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	tests := []struct {
		err  error
		want bool
	}{
		{apierrors.NewTooManyRequests("slow down", 1), true},
		{apierrors.NewServiceUnavailable("etcd"), true},
		{apierrors.NewInternalError(fmt.Errorf("boom")), true},
		{apierrors.NewServerTimeout(gr, "get", 1), true},
		{apierrors.NewTimeoutError("timeout", 1), true},
		{&url.Error{Op: "Get", URL: "https://x", Err: timeoutErr{}}, true},
		{&url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, true},
		{fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{apierrors.NewNotFound(gr, "x"), false},
		{apierrors.NewConflict(gr, "x", fmt.Errorf("changed")), false},
		{apierrors.NewBadRequest("invalid"), false},
		{apierrors.NewForbidden(gr, "x", fmt.Errorf("no")), false},
		{context.Canceled, false},
		{context.DeadlineExceeded, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := transient(tt.err); got != tt.want {
			t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
