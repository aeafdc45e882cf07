package mlflow

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scripted answers request n (0-based) with statuses[n], or with the last one past the end.
func scripted(t *testing.T, statuses []int, header http.Header, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		status := statuses[min(i, len(statuses)-1)]
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(`{"experiment": {"experiment_id": "7", "name": "e"}}`))
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int
		header    http.Header
		body      string
		wantCalls int32
		wantErr   func(error) bool // nil: want success
	}{
		{"503 then 200 is retried", []int{503, 503, 200}, nil, "", 3, nil},
		{"429 with Retry-After then 200", []int{429, 200}, http.Header{"Retry-After": {"0"}}, "", 2, nil},
		{"502 and 504 are retried", []int{502, 504, 200}, nil, "", 3, nil},
		{"500 until retries run out", []int{500}, nil, `{"error_code": "INTERNAL_ERROR", "message": "db locked"}`, 4,
			func(err error) bool { return strings.Contains(err.Error(), "after 4 attempts") }},
		{"400 is final", []int{400, 200}, nil, `{"error_code": "INVALID_PARAMETER_VALUE", "message": "bad"}`, 1, IsInvalidParameter},
		{"404 is final", []int{404, 200}, nil, `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}`, 1, IsNotFound},
		{"401 is final", []int{401, 200}, nil, "", 1, IsPermission},
		{"403 is final", []int{403, 200}, nil, `{"error_code": "PERMISSION_DENIED", "message": "no"}`, 1, IsPermission},
		{"409 is final", []int{409, 200}, nil, `{"error_code": "RESOURCE_ALREADY_EXISTS", "message": "dup"}`, 1, IsAlreadyExists},
		{"501 is final", []int{501, 200}, nil, "", 1, func(err error) bool { return hasCode(err, CodeNotImplemented) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, calls := scripted(t, tt.statuses, tt.header, tt.body)
			c := testClient(t, ts.URL, WithRetries(3), WithBackoff(time.Millisecond, 4*time.Millisecond))
			_, err := c.GetExperiment(t.Context(), "7")
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("GetExperiment() made %d requests, want %d", got, tt.wantCalls)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("GetExperiment() = %v, want success", err)
			case tt.wantErr != nil && (err == nil || !tt.wantErr(err)):
				t.Errorf("GetExperiment() = %v, want an error of the expected kind", err)
			}
		})
	}
}

func TestRetryConnectionErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	c := testClient(t, url, WithRetries(2), WithBackoff(time.Millisecond, time.Millisecond))
	_, err = c.GetExperiment(t.Context(), "1")
	var op *net.OpError
	if err == nil || !errors.As(err, &op) || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("GetExperiment(refused) = %v, want a *net.OpError after 3 attempts", err)
	}
	if IsNotFound(err) || IsPermission(err) {
		t.Errorf("GetExperiment(refused) = %v, classified as an MLflow error", err)
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	ts, _ := scripted(t, []int{503}, nil, "")
	c := testClient(t, ts.URL, WithRetries(100), WithBackoff(time.Second, time.Second))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetExperiment(ctx, "1")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "503") {
		t.Errorf("GetExperiment(50ms deadline) = %v, want DeadlineExceeded naming the last 503", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Errorf("GetExperiment(50ms deadline) returned after %s, want well before the 1s backoff", d)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name   string
		jitter float64
		n      int
		hint   time.Duration
		want   time.Duration
	}{
		{"first wait, least jitter", 0, 1, 0, 50 * time.Millisecond},
		{"first wait, most jitter", 0.999999, 1, 0, 99999950 * time.Nanosecond},
		{"doubles", 0, 3, 0, 200 * time.Millisecond},
		{"capped at max", 0, 10, 0, 500 * time.Millisecond},
		{"larger Retry-After wins", 0, 1, 700 * time.Millisecond, 700 * time.Millisecond},
		{"Retry-After capped at max", 0, 1, time.Minute, time.Second},
		{"smaller Retry-After loses", 0, 3, time.Millisecond, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, "http://127.0.0.1:1", WithBackoff(100*time.Millisecond, time.Second))
			c.opts.jitter = func() float64 { return tt.jitter }
			if got := c.backoff(tt.n, tt.hint); got != tt.want {
				t.Errorf("backoff(%d, %s) = %s, want %s", tt.n, tt.hint, got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {"-1", 0}, {"soon", 0},
		{time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestCreateRunAfterLostAttempt drives CreateRun against a fake whose create and search
// answers are scripted; "found" is a search that returns the run the lost attempt made.
func TestCreateRunAfterLostAttempt(t *testing.T) {
	tests := []struct {
		name                      string
		creates, searches         []int // statuses, in order; 0 for the search means "found"
		wantCreates, wantSearches int32
	}{
		{"5xx after commit: the retry finds the run", []int{500}, []int{0}, 1, 1},
		{"5xx, nothing made: search, then create again", []int{500, 200}, []int{200}, 2, 1},
		{"a failed search skips the create and searches again", []int{500}, []int{429, 503, 0}, 1, 3},
		{"refused or throttled: no search needed", []int{429, 200}, nil, 2, 0},
		{"400 is final", []int{400}, nil, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var creates, searches atomic.Int32
			var requestID atomic.Value
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body struct {
					Tags   []Tag  `json:"tags"`
					Filter string `json:"filter"`
				}
				_ = decodeJSON(r, &body)
				switch r.URL.Path {
				case "/api/2.0" + epCreateRun.path:
					n := creates.Add(1)
					requestID.Store(TagMap(body.Tags)[RequestIDTag])
					w.WriteHeader(tt.creates[min(int(n), len(tt.creates))-1])
					_, _ = w.Write([]byte(`{"run": {"info": {"run_id": "created"}}}`))
				case "/api/2.0" + epSearchRuns.path:
					n := searches.Add(1)
					if id, _ := requestID.Load().(string); id == "" || !strings.Contains(body.Filter, id) {
						t.Errorf("search filter %q does not name request id %q", body.Filter, id)
					}
					switch status := tt.searches[min(int(n), len(tt.searches))-1]; status {
					case 0:
						_, _ = w.Write([]byte(`{"runs": [{"info": {"run_id": "lost"}}]}`))
					default:
						w.WriteHeader(status)
						_, _ = w.Write([]byte(`{}`))
					}
				}
			}))
			defer ts.Close()
			c := testClient(t, ts.URL, WithBackoff(time.Millisecond, time.Millisecond))
			_, err := c.CreateRun(t.Context(), "1", "train")
			if tt.creates[len(tt.creates)-1] == 400 {
				if !IsInvalidParameter(err) {
					t.Errorf("CreateRun() = %v, want invalid-parameter", err)
				}
			} else if err != nil {
				t.Errorf("CreateRun() = %v, want success", err)
			}
			if creates.Load() != tt.wantCreates || searches.Load() != tt.wantSearches {
				t.Errorf("CreateRun() made %d creates and %d searches, want %d and %d",
					creates.Load(), searches.Load(), tt.wantCreates, tt.wantSearches)
			}
		})
	}
}
