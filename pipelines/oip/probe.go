package oip

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Probe sends req to model (unversioned route) n times from concurrency workers and
// measures each request's latency, from sending to the decoded answer. One untimed
// request goes first: it fails the probe fast when the model does not answer, and keeps
// a model's first-call costs out of the figures. Failed timed requests are counted in
// Errors (the first one's message is kept) and left out of the latency figures; the
// error is non-nil only when the probe could not run: bad arguments, the warm-up failed,
// ctx ended, or every timed request failed. Keep n and concurrency small enough for the
// server under test: the probe is a bounded check, not a load test.
func Probe(ctx context.Context, c *Client, model string, req InferenceRequest, n, concurrency int) (Figures, error) {
	f := Figures{Model: model, N: n, Concurrency: concurrency, Method: PercentileMethod}
	if c == nil {
		return f, errors.New("probing: the client is nil")
	}
	if n < 1 || concurrency < 1 {
		return f, fmt.Errorf("probing %q: n %d and concurrency %d must both be at least 1", model, n, concurrency)
	}
	f.Concurrency = min(concurrency, n)
	if _, err := c.Infer(ctx, model, "", req); err != nil {
		return f, fmt.Errorf("probing %q: the warm-up request failed: %w", model, err)
	}
	latencies := make([]time.Duration, n)
	failed := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	f.Started = time.Now().UTC()
	start := time.Now()
	for range f.Concurrency {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				_, err := c.Infer(ctx, model, "", req)
				latencies[i], failed[i] = time.Since(t0), err
			}
		})
	}
	sent := 0
feed:
	for ; sent < n; sent++ {
		select {
		case next <- sent:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	wall := time.Since(start)
	var ok []time.Duration
	for i := range sent {
		if failed[i] != nil {
			if f.Errors == 0 {
				f.FirstError = failed[i].Error()
			}
			f.Errors++
			continue
		}
		ok = append(ok, latencies[i])
	}
	f.fill(ok, wall)
	if sent < n {
		return f, fmt.Errorf("probing %q: stopped after %d of %d requests: %w", model, sent, n, ctx.Err())
	}
	if len(ok) == 0 {
		return f, fmt.Errorf("probing %q: all %d requests failed, the first with: %s", model, n, f.FirstError)
	}
	return f, nil
}
