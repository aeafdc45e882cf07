package mlflow

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
)

func decodeJSON(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }

func TestDecodeError(t *testing.T) {
	noRedact := func(s string) string { return s }
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode string
		wantMsg  string
		is       func(error) bool
	}{
		{"mlflow not found", 404, `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Could not find experiment"}`,
			CodeResourceDoesNotExist, "Could not find experiment", IsNotFound},
		{"mlflow already exists is a 400", 400, `{"error_code": "RESOURCE_ALREADY_EXISTS", "message": "exists"}`,
			CodeResourceAlreadyExists, "exists", IsAlreadyExists},
		{"mlflow bad parameter", 400, `{"error_code": "INVALID_PARAMETER_VALUE", "message": "max_results"}`,
			CodeInvalidParameterValue, "max_results", IsInvalidParameter},
		{"mlflow unauthenticated", 401, `{"error_code": "UNAUTHENTICATED", "message": "who"}`,
			CodeUnauthenticated, "who", IsPermission},
		{"bare 403", 403, `Forbidden`, CodePermissionDenied, "Forbidden", IsPermission},
		{"html 404 is a missing route", 404, "<!doctype html>\n<title>404 Not Found</title>",
			CodeEndpointNotFound, "Not Found", IsEndpointNotFound},
		{"plain 502", 502, "bad gateway", CodeInternalError, "bad gateway", nil},
		{"empty 503", 503, "", CodeTemporarilyUnavailable, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := decodeError("GET", "/api/2.0/x", tt.status, []byte(tt.body), noRedact)
			if e.Code != tt.wantCode || e.Message != tt.wantMsg || e.StatusCode != tt.status {
				t.Errorf("decodeError(%d, %q) = %d %q %q, want %d %q %q", tt.status, tt.body,
					e.StatusCode, e.Code, e.Message, tt.status, tt.wantCode, tt.wantMsg)
			}
			wrapped := fmt.Errorf("getting thing: %w", e)
			if tt.is != nil && !tt.is(wrapped) {
				t.Errorf("predicate(%v) = false, want true", wrapped)
			}
			if tt.wantCode != CodeResourceDoesNotExist && IsNotFound(wrapped) {
				t.Errorf("IsNotFound(%v) = true, want false", wrapped)
			}
		})
	}
}

func TestPredicatesOnOtherErrors(t *testing.T) {
	for _, err := range []error{nil, fmt.Errorf("plain")} {
		if IsNotFound(err) || IsAlreadyExists(err) || IsInvalidParameter(err) || IsPermission(err) || IsEndpointNotFound(err) {
			t.Errorf("a predicate is true for %v, want all false", err)
		}
	}
}

func TestMetricJSON(t *testing.T) {
	tests := []struct {
		value float64
		wire  string
	}{
		{0.5, `"value":0.5`},
		{math.NaN(), `"value":"NaN"`},
		{math.Inf(1), `"value":"Infinity"`},
		{math.Inf(-1), `"value":"-Infinity"`},
		{1e21, `"value":1e+21`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(Metric{Key: "k", Value: tt.value, Timestamp: 1, Step: 2})
		if err != nil || !strings.Contains(string(b), tt.wire) {
			t.Errorf("json.Marshal(Metric{Value: %v}) = %s, %v, want it to contain %s", tt.value, b, err, tt.wire)
			continue
		}
		var back Metric
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("json.Unmarshal(%s) = %v", b, err)
			continue
		}
		same := back.Value == tt.value || (math.IsNaN(back.Value) && math.IsNaN(tt.value))
		if !same || back.Key != "k" || back.Timestamp != 1 || back.Step != 2 {
			t.Errorf("json.Unmarshal(%s) = %+v, want value %v", b, back, tt.value)
		}
	}
}

func TestEncodeQuery(t *testing.T) {
	tests := []struct {
		msg  any
		want string
	}{
		{getExperimentByNameRequest{"a b&c"}, "experiment_name=a+b%26c"},
		{searchRequest{Filter: "name = 'x'", MaxResults: 1000, OrderBy: []string{"a", "b"}},
			"filter=name+%3D+%27x%27&max_results=1000&order_by=a&order_by=b"},
		{searchRequest{}, ""},
	}
	for _, tt := range tests {
		if got := encodeQuery(tt.msg); got != tt.want {
			t.Errorf("encodeQuery(%+v) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestProxyPath(t *testing.T) {
	tests := []struct {
		uri, rel, want string
		wantErr        bool
	}{
		{"mlflow-artifacts:/1/abc/artifacts", "model/MLmodel", "1/abc/artifacts/model/MLmodel", false},
		{"mlflow-artifacts:/1/abc/artifacts", "", "1/abc/artifacts", false},
		{"mlflow-artifacts://host:5000/1/abc/artifacts", "a", "1/abc/artifacts/a", false},
		{"http://h/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts", "a b", "1/abc/artifacts/a b", false},
		{"mlflow-artifacts:/1/abc/artifacts", "../../other", "", true},
		{"mlflow-artifacts:/1/abc/artifacts", "/etc/passwd", "", true},
		{"s3://bucket/1/abc/artifacts", "a", "", true},
		{"http://h/not-the-proxy/1", "a", "", true},
	}
	for _, tt := range tests {
		got, err := proxyPath(tt.uri, tt.rel)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("proxyPath(%q, %q) = %q, %v, want %q (error: %v)", tt.uri, tt.rel, got, err, tt.want, tt.wantErr)
		}
	}
	if got := escapePath("1/a b/ü?#"); got != "1/a%20b/%C3%BC%3F%23" {
		t.Errorf("escapePath() = %q, want %q", got, "1/a%20b/%C3%BC%3F%23")
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"wine", "'wine'"}, {"it's", `"it's"`}, {`a'b"c`, `'a\'b"c'`},
	}
	for _, tt := range tests {
		if got := quote(tt.in); got != tt.want {
			t.Errorf("quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
