package oip

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestProbe(t *testing.T) {
	srv := realServer(t)
	c, ctx := newClient(t, srv.URL), testCtx(t)
	f, err := Probe(ctx, c, srv.Model.Name, readRequest(t), 200, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Probe(200 requests, 4 at a time): p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, mean %.2f ms, max %.2f ms, %.1f req/s",
		f.P50, f.P95, f.P99, f.Mean, f.Max, f.RequestsPerSecond)
	if f.N != 200 || f.Concurrency != 4 || f.Errors != 0 || f.Method != PercentileMethod {
		t.Errorf("Probe() = %+v, want 200 requests, concurrency 4, no errors", f)
	}
	if !(0 < f.Min && f.Min <= f.P50 && f.P50 <= f.P95 && f.P95 <= f.P99 && f.P99 <= f.Max && f.RequestsPerSecond > 0) {
		t.Errorf("Probe() figures out of order: %+v", f)
	}
	if err := CompareFigures(f, f, 1.5); err != nil {
		t.Errorf("CompareFigures(equal figures) = %v, want nil", err)
	}
	slow := f
	slow.P50, slow.P95, slow.P99, slow.RequestsPerSecond = 2*f.P50, 2*f.P95, 2*f.P99, f.RequestsPerSecond/2
	err = CompareFigures(f, slow, 1.5)
	for _, metric := range []string{"p50", "p95", "p99", "throughput"} {
		if err == nil || !strings.Contains(err.Error(), metric) {
			t.Errorf("CompareFigures(2x slower) = %v, want it to name %s", err, metric)
		}
	}
}

func TestProbeFailures(t *testing.T) {
	srv := realServer(t)
	c, ctx := newClient(t, srv.URL), testCtx(t)
	if _, err := Probe(ctx, c, "nope", readRequest(t), 10, 2); !IsNotFound(err) || !strings.Contains(err.Error(), "warm-up") {
		t.Errorf("Probe(unknown model) = %v, want the warm-up's 404", err)
	}
	if _, err := Probe(ctx, c, srv.Model.Name, readRequest(t), 0, 2); err == nil {
		t.Error("Probe(n 0) = nil, want an error")
	}
	// The context ends after the 20th request: the probe stops, says so, and keeps what
	// it measured.
	stopping, cancel := context.WithCancel(ctx)
	defer cancel()
	var sent atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if sent.Add(1) == 20 {
			cancel()
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	cc, err := New(srv.URL, WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Probe(stopping, cc, srv.Model.Name, readRequest(t), 100_000, 2)
	if err == nil || !strings.Contains(err.Error(), "context canceled") || !strings.Contains(err.Error(), "stopped after") || f.N != 100_000 {
		t.Errorf("Probe(context cancelled after 20 requests) = %+v, %v; want stopped early with context canceled", f, err)
	}
	if n := sent.Load(); n > 30 {
		t.Errorf("Probe sent %d requests after its context ended at the 20th, want at most a few in flight", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func BenchmarkInfer(b *testing.B) {
	srv := realServer(b)
	c, ctx, req := newClient(b, srv.URL), testCtx(b), readRequest(b)
	for b.Loop() {
		if _, err := c.Infer(ctx, srv.Model.Name, "", req); err != nil {
			b.Fatal(err)
		}
	}
}
