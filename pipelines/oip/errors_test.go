package oip

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestDecodeError(t *testing.T) {
	long := strings.Repeat("é", 2000) // 4000 bytes
	tests := []struct {
		name, body, want string
	}{
		{"protocol error", `{"error": "Model nope not found"}`, "Model nope not found"},
		{"fastapi detail list", `{"detail":[{"loc":["body","inputs",0,"datatype"],"msg":"Input should be 'FP64'"}]}`, `[{"loc":["body","inputs",0,"datatype"],"msg":"Input should be 'FP64'"}]`},
		{"fastapi detail string", `{"detail": "Not Found"}`, "Not Found"},
		{"plain text", "ValueError: columns are missing: {'carat'}\n", "ValueError: columns are missing: {'carat'}"},
		{"html page", "<!DOCTYPE html><html><body>bad gateway</body></html>", "Bad Gateway"},
		{"other json", `{"message": "nope"}`, `{"message": "nope"}`},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError("POST", "/v2/models/m/infer", http.StatusBadGateway, []byte(tt.body))
			if e.Message != tt.want {
				t.Errorf("decodeError(%q).Message = %q, want %q", tt.body, e.Message, tt.want)
			}
		})
	}
	e := decodeError("GET", "/v2", 500, []byte(long))
	if len(e.Message) > maxMessage+len("…") || !strings.HasSuffix(e.Message, "é…") {
		t.Errorf("decodeError(4000 bytes).Message is %d bytes ending %q, want ≤ %d bytes cut on a rune", len(e.Message), e.Message[len(e.Message)-8:], maxMessage)
	}
	if got := (&Error{Method: "GET", Path: "/v2", StatusCode: 503}).Error(); got != "oip GET /v2: 503: Service Unavailable" {
		t.Errorf("Error() with no message = %q", got)
	}
}

func TestPredicates(t *testing.T) {
	wrap := func(e *Error) error { return fmt.Errorf("step: %w", e) }
	tests := []struct {
		name                     string
		err                      error
		client, notFound, notRdy bool
	}{
		{"422", wrap(&Error{Path: "/v2/models/m/infer", StatusCode: 422}), true, false, false},
		{"404 model", wrap(&Error{Path: "/v2/models/m", StatusCode: 404}), true, true, false},
		{"400 not ready", wrap(&Error{Path: "/v2/models/m/versions/1/ready", StatusCode: 400}), true, false, true},
		{"503 anywhere", wrap(&Error{Path: "/v2/models/m/infer", StatusCode: 503}), false, false, true},
		{"500", wrap(&Error{Path: "/v2/models/m/infer", StatusCode: 500}), false, false, false},
		{"not live", wrap(&Error{Path: "/p/v2/health/live", StatusCode: 500}), false, false, true},
		{"connection", errors.New("dial tcp: connection refused"), false, false, false},
		{"context", context.Canceled, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsClientError(tt.err); got != tt.client {
				t.Errorf("IsClientError(%v) = %v, want %v", tt.err, got, tt.client)
			}
			if got := IsNotFound(tt.err); got != tt.notFound {
				t.Errorf("IsNotFound(%v) = %v, want %v", tt.err, got, tt.notFound)
			}
			if got := IsNotReady(tt.err); got != tt.notRdy {
				t.Errorf("IsNotReady(%v) = %v, want %v", tt.err, got, tt.notRdy)
			}
		})
	}
}

func TestNewValidatesTheURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"https://host/api/v1/namespaces/ns/services/name:http/proxy/", "https://host/api/v1/namespaces/ns/services/name:http/proxy"},
		{"https://host/a%2Fb/", "https://host/a%2Fb"},
		{"ftp://host", `scheme "ftp"`},
		{"http://user:secret@host", "credentials in the URL"},
		{"http://host/?x=1", "without query"},
		{"/v2", `scheme ""`},
		{"http://[::1", "not a valid URL"},
	}
	for _, tt := range tests {
		c, err := New(tt.url)
		got := ""
		if err != nil {
			got = err.Error()
			if strings.Contains(got, "secret") {
				t.Errorf("New(%q) error %q leaks the password", tt.url, got)
			}
		} else {
			got = c.URL()
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("New(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
	c, _ := New("http://h")
	for _, name := range []string{"", ".", ".."} {
		if err := c.ModelReady(context.Background(), name, ""); err == nil || !strings.Contains(err.Error(), "path segment") {
			t.Errorf("ModelReady(%q) = %v, want an error about the model name", name, err)
		}
	}
	if p, _ := modelPath("a/b c", "v 1", "/infer"); p != "/v2/models/a%2Fb%20c/versions/v%201/infer" {
		t.Errorf("modelPath(a/b c, v 1) = %q, want both segments escaped", p)
	}
}

func TestDecodeErrorKeepsTheExceptionOfATraceback(t *testing.T) {
	body := "Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n    raise ValueError\nValueError: columns are missing: {'carat'}\n"
	if e := decodeError("POST", "/v2/models/m/infer", 500, []byte(body)); e.Message != "ValueError: columns are missing: {'carat'}" {
		t.Errorf("decodeError(traceback).Message = %q, want the exception line", e.Message)
	}
}
