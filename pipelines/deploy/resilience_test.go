package deploy

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// flakyTransport fails some API requests (never proxied ones: those are the smoke test's)
// as an overloaded or restarting API server would.
type flakyTransport struct {
	next     http.RoundTripper
	n        atomic.Int64
	injected atomic.Int64
}

type netTimeout struct{}

func (netTimeout) Error() string   { return "injected: i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/proxy") {
		return f.next.RoundTrip(r)
	}
	n := f.n.Add(1)
	fail := func(code int) (*http.Response, error) {
		f.injected.Add(1)
		body := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected","reason":"ServiceUnavailable","code":503}`
		if code == 429 {
			body = `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"injected","reason":"TooManyRequests","code":429}`
		}
		return &http.Response{StatusCode: code, Status: http.StatusText(code), Request: r,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
	switch {
	case n <= 3: // the first requests: discovery and the namespace
		return fail(http.StatusServiceUnavailable)
	case n%7 == 0 && n < 60:
		f.injected.Add(1)
		return nil, netTimeout{}
	case n%11 == 0 && n < 60:
		return fail(http.StatusTooManyRequests)
	}
	return f.next.RoundTrip(r)
}

func TestDeployRetriesTransientErrors(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	cfg := rest.CopyConfig(c.Config)
	flaky := &flakyTransport{}
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { flaky.next = rt; return flaky }
	rep, err := Deploy(context.Background(), cfg, request(ns, imageV2, objects(t, "", false)), testOptions()...)
	if err != nil || !rep.OK() {
		t.Fatalf("Deploy through a flaky API server = %v\n%s", err, rep.Markdown())
	}
	if rep.Retries < 3 || flaky.injected.Load() < 3 {
		t.Errorf("retries = %d for %d injected failures, want ≥ 3 each", rep.Retries, flaky.injected.Load())
	}
	t.Logf("%d API requests, %d failures injected, %d retries", flaky.n.Load(), flaky.injected.Load(), rep.Retries)
	if got := servedImage(t, c, ns, 3); got != imageV2 {
		t.Errorf("the Service serves %s, want %s", got, imageV2)
	}
}

func TestDeployRecoversInterruptedDeploy(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	before := state(t, c, ns)

	// A deploy of v2 that dies after applying (as a killed process would): no rollback,
	// no unlock, the record left behind, the lease no longer renewed.
	ctx, cancel := context.WithCancel(context.Background())
	crash := SmokeFunc(func(context.Context, *http.Client, string) error { runtime.Goexit(); return nil })
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = Deploy(ctx, c.Config, request(ns, imageV2, objects(t, "", true)),
			testOptions(WithSmoker(crash), WithIdentity("crashed"), WithLock(time.Second, 2*time.Second))...)
	}()
	<-done
	cancel()
	if got := servedImage(t, c, ns, 3); got != imageV2 {
		t.Fatalf("after the crash the Service serves %s, want the half-done %s", got, imageV2)
	}

	rep := mustDeploy(t, c, request(ns, imageV3, objects(t, "", false)), WithIdentity("rerun"))
	var recovered bool
	for _, s := range rep.Steps {
		recovered = recovered || (s.Name == "recover" && s.Result == Passed && strings.Contains(s.Detail, "crashed"))
	}
	if !recovered {
		t.Errorf("the re-run has no passed recover step naming the crashed deploy:\n%s", rep.Markdown())
	}
	if rep.From != digestV1 {
		t.Errorf("re-run From = %s, want %s (the state before the crashed deploy)", rep.From, digestV1)
	}
	if got := servedImage(t, c, ns, 3); got != imageV3 {
		t.Errorf("the Service serves %s, want %s", got, imageV3)
	}
	// v3's objects are v1's with another image: only the Deployment differs from before.
	after := state(t, c, ns)
	if strings.Contains(after, "diamonds-v2-only") || strings.Contains(after, RecordName) {
		t.Errorf("objects of the crashed deploy or its record remain:\n%s", after)
	}
	if n := len(strings.Split(before, "\n")); n != len(strings.Split(after, "\n")) {
		t.Errorf("namespace has %d objects after, want %d as before:\n%s", len(strings.Split(after, "\n")), n, lineDiff(before, after))
	}
}
