package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Prober asks one server for one prediction; the canary analysis sends the same probe to
// a stable pod and to the canary pod, round after round.
type Prober interface {
	// Probe sends its request to base (a pod proxy URL ending in "/proxy") with hc.
	Probe(ctx context.Context, hc *http.Client, base string) (Answer, error)
}

// ProbeFunc adapts a function to Prober.
type ProbeFunc func(ctx context.Context, hc *http.Client, base string) (Answer, error)

// Probe calls f.
func (f ProbeFunc) Probe(ctx context.Context, hc *http.Client, base string) (Answer, error) {
	return f(ctx, hc, base)
}

// Answer is a prediction, its outputs flattened in order: numbers (any Go number type or
// json.Number) agree within the tolerance, anything else must be equal.
type Answer struct{ Values []any }

// Analysis is the canary analysis window and its thresholds.
type Analysis struct {
	Requests        int           // probes per pod
	Interval        time.Duration // pause between rounds
	MaxErrorRate    float64       // largest share of canary probes that may fail
	MaxLatencyRatio float64       // largest canary p95 / stable p95
	LatencyFloor    time.Duration // p95s below this count as this: ratios of a few ms are noise
	MinAgreement    float64       // smallest share of rounds where both predictions agree
	Tolerance       float64       // largest difference between agreeing outputs
}

// DefaultAnalysis is 20 rounds 50ms apart; the canary fails on more than 5% errors, a p95
// over 2× the stable one (both floored at 50ms), or less than 95% agreement within 1e-6.
func DefaultAnalysis() Analysis {
	return Analysis{Requests: 20, Interval: 50 * time.Millisecond, MaxErrorRate: 0.05,
		MaxLatencyRatio: 2, LatencyFloor: 50 * time.Millisecond, MinAgreement: 0.95, Tolerance: 1e-6}
}

// AnalysisResult is what the analysis measured and decided.
type AnalysisResult struct {
	StablePod       string   `json:"stable_pod"`
	CanaryPod       string   `json:"canary_pod"`
	Requests        int      `json:"requests"`
	StableErrorRate float64  `json:"stable_error_rate"`
	CanaryErrorRate float64  `json:"canary_error_rate"`
	StableP95Ms     float64  `json:"stable_p95_ms"`
	CanaryP95Ms     float64  `json:"canary_p95_ms"`
	LatencyRatio    float64  `json:"latency_ratio"`
	Agreement       float64  `json:"agreement"`
	Passed          bool     `json:"passed"`
	Failures        []string `json:"failures,omitempty"`
}

func (r AnalysisResult) summary() string {
	s := fmt.Sprintf("%d rounds: canary errors %.0f%% (stable %.0f%%), p95 %.1fms vs %.1fms (ratio %.2f), agreement %.0f%%",
		r.Requests, 100*r.CanaryErrorRate, 100*r.StableErrorRate, r.CanaryP95Ms, r.StableP95Ms, r.LatencyRatio, 100*r.Agreement)
	if len(r.Failures) > 0 {
		s += ": " + strings.Join(r.Failures, "; ")
	}
	return s
}

// sample is one probe's outcome.
type sample struct {
	answer  Answer
	err     error
	latency time.Duration
}

// run sends a.Requests rounds of the probe to both URLs and judges them.
func (a Analysis) run(ctx context.Context, p Prober, hc *http.Client, stable, canary string) AnalysisResult {
	var s, c []sample
	probe := func(base string) sample {
		began := time.Now()
		ans, err := p.Probe(ctx, hc, base)
		return sample{answer: ans, err: err, latency: time.Since(began)}
	}
	for i := 0; i < a.Requests && ctx.Err() == nil; i++ {
		s, c = append(s, probe(stable)), append(c, probe(canary))
		select {
		case <-ctx.Done():
		case <-time.After(a.Interval):
		}
	}
	return a.judge(s, c)
}

// judge compares paired samples against the thresholds.
func (a Analysis) judge(stable, canary []sample) AnalysisResult {
	r := AnalysisResult{Requests: len(canary)}
	if len(canary) == 0 {
		r.Failures = []string{"no probes were sent"}
		return r
	}
	r.StableErrorRate, r.CanaryErrorRate = errorRate(stable), errorRate(canary)
	sp, cp := p95(stable), p95(canary)
	r.StableP95Ms, r.CanaryP95Ms = ms(sp), ms(cp)
	r.LatencyRatio = float64(max(cp, a.LatencyFloor)) / float64(max(sp, a.LatencyFloor))
	both, agree := 0, 0
	for i := range min(len(stable), len(canary)) {
		if stable[i].err != nil || canary[i].err != nil {
			continue
		}
		both++
		if agrees(stable[i].answer, canary[i].answer, a.Tolerance) {
			agree++
		}
	}
	if both > 0 {
		r.Agreement = float64(agree) / float64(both)
	}
	if r.CanaryErrorRate > a.MaxErrorRate {
		r.Failures = append(r.Failures, fmt.Sprintf("canary error rate %.2f > %.2f (MaxErrorRate)", r.CanaryErrorRate, a.MaxErrorRate))
		if err := firstErr(canary); err != nil {
			r.Failures[len(r.Failures)-1] += ", first error: " + err.Error()
		}
	}
	if r.LatencyRatio > a.MaxLatencyRatio {
		r.Failures = append(r.Failures, fmt.Sprintf("canary p95 latency %.2f× the stable one > %.2f (MaxLatencyRatio)", r.LatencyRatio, a.MaxLatencyRatio))
	}
	if r.Agreement < a.MinAgreement {
		r.Failures = append(r.Failures, fmt.Sprintf("predictions agree in %.2f of %d rounds < %.2f (MinAgreement)", r.Agreement, both, a.MinAgreement))
	}
	r.Passed = len(r.Failures) == 0
	return r
}

func agrees(a, b Answer, tol float64) bool {
	if len(a.Values) != len(b.Values) || len(a.Values) == 0 {
		return false
	}
	for i := range a.Values {
		x, okx := number(a.Values[i])
		y, oky := number(b.Values[i])
		switch {
		case okx && oky:
			if math.Abs(x-y) > tol || math.IsNaN(x) || math.IsNaN(y) {
				return false
			}
		case okx != oky || fmt.Sprint(a.Values[i]) != fmt.Sprint(b.Values[i]):
			return false
		}
	}
	return true
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}

func errorRate(ss []sample) float64 {
	n := 0
	for _, s := range ss {
		if s.err != nil {
			n++
		}
	}
	if len(ss) == 0 {
		return 0
	}
	return float64(n) / float64(len(ss))
}

func firstErr(ss []sample) error {
	for _, s := range ss {
		if s.err != nil {
			return s.err
		}
	}
	return nil
}

// p95 is the nearest-rank 95th percentile latency of the successful samples.
func p95(ss []sample) time.Duration {
	var l []time.Duration
	for _, s := range ss {
		if s.err == nil {
			l = append(l, s.latency)
		}
	}
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return l[int(math.Ceil(0.95*float64(len(l))))-1]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }
