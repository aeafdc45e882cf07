package oip

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// PercentileMethod names how Figures' percentiles are computed: the nearest-rank method,
// the smallest latency with at least p% of the latencies at or below it (rank ⌈p/100·N⌉
// of the N sorted latencies). Every percentile is a latency that was measured.
const PercentileMethod = "nearest-rank"

// Figures are the results of one Probe. Durations are milliseconds.
type Figures struct {
	Model             string    `json:"model"`
	Started           time.Time `json:"started"`
	N                 int       `json:"n"` // timed requests asked for
	Concurrency       int       `json:"concurrency"`
	Errors            int       `json:"errors"` // timed requests that failed
	FirstError        string    `json:"first_error,omitempty"`
	Method            string    `json:"percentile_method"`
	P50               float64   `json:"p50_ms"`
	P90               float64   `json:"p90_ms"`
	P95               float64   `json:"p95_ms"`
	P99               float64   `json:"p99_ms"`
	Mean              float64   `json:"mean_ms"`
	Min               float64   `json:"min_ms"`
	Max               float64   `json:"max_ms"`
	WallMs            float64   `json:"wall_ms"`             // first request sent to last answer
	RequestsPerSecond float64   `json:"requests_per_second"` // successful requests / wall time
}

// fill sets the latency figures from the successful requests' latencies.
func (f *Figures) fill(latencies []time.Duration, wall time.Duration) {
	ms := make([]float64, len(latencies))
	sum := 0.0
	for i, d := range latencies {
		ms[i] = float64(d) / float64(time.Millisecond)
		sum += ms[i]
	}
	slices.Sort(ms)
	f.WallMs = float64(wall) / float64(time.Millisecond)
	if len(ms) == 0 {
		return
	}
	f.P50, f.P90, f.P95, f.P99 = Percentile(ms, 50), Percentile(ms, 90), Percentile(ms, 95), Percentile(ms, 99)
	f.Mean, f.Min, f.Max = sum/float64(len(ms)), ms[0], ms[len(ms)-1]
	if wall > 0 {
		f.RequestsPerSecond = float64(len(ms)) / wall.Seconds()
	}
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted values by the
// nearest-rank method: sorted[⌈p/100·N⌉-1]; 0 for no values. sorted must be ascending.
func Percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(n) / 100))
	return sorted[min(max(rank, 1), n)-1]
}

// Regression is one figure that got worse than CompareFigures allows.
type Regression struct {
	Metric   string  // "p50", "p95", "p99", "throughput" or "errors"
	Previous float64 // the previous probe's figure
	Current  float64 // this probe's figure
	MaxRatio float64 // the ratio allowed
}

func (r *Regression) Error() string {
	switch r.Metric {
	case "throughput":
		return fmt.Sprintf("throughput %.1f req/s is %.2f× lower than the previous %.1f req/s (limit %g×)",
			r.Current, r.Previous/r.Current, r.Previous, r.MaxRatio)
	case "errors":
		return fmt.Sprintf("errors: %g requests failed, the previous probe had none", r.Current)
	}
	return fmt.Sprintf("%s latency %.2f ms is %.2f× the previous %.2f ms (limit %g×)",
		r.Metric, r.Current, r.Current/r.Previous, r.Previous, r.MaxRatio)
}

// CompareFigures fails when cur is worse than prev by more than maxRatio (≥ 1): p50, p95
// or p99 above maxRatio × the previous one, throughput below the previous one / maxRatio,
// or failed requests where the previous probe had none. Each figure that regressed is a
// *Regression in the joined error; bad arguments give a plain error.
func CompareFigures(prev, cur Figures, maxRatio float64) error {
	if !(maxRatio >= 1) || math.IsInf(maxRatio, 0) {
		return fmt.Errorf("comparing latency figures: max ratio %v must be a finite number ≥ 1", maxRatio)
	}
	if prev.P50 <= 0 || prev.RequestsPerSecond <= 0 {
		return errors.New("comparing latency figures: the previous figures have no latencies or throughput; give the latency.json of a probe that succeeded")
	}
	var errs []error
	for _, m := range []struct {
		name      string
		prev, cur float64
	}{{"p50", prev.P50, cur.P50}, {"p95", prev.P95, cur.P95}, {"p99", prev.P99, cur.P99}} {
		if m.prev > 0 && m.cur > m.prev*maxRatio {
			errs = append(errs, &Regression{Metric: m.name, Previous: m.prev, Current: m.cur, MaxRatio: maxRatio})
		}
	}
	if cur.RequestsPerSecond*maxRatio < prev.RequestsPerSecond {
		errs = append(errs, &Regression{Metric: "throughput", Previous: prev.RequestsPerSecond, Current: cur.RequestsPerSecond, MaxRatio: maxRatio})
	}
	if cur.Errors > 0 && prev.Errors == 0 {
		errs = append(errs, &Regression{Metric: "errors", Previous: 0, Current: float64(cur.Errors), MaxRatio: maxRatio})
	}
	return errors.Join(errs...)
}

// Markdown renders the figures as a table, with the previous probe's figures and the
// ratios beside them when prev is not nil.
func (f Figures) Markdown(prev *Figures) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Latency of %s\n\n%d requests, %d at a time, %d failed; percentiles by the %s method.\n\n",
		f.Model, f.N, f.Concurrency, f.Errors, f.Method)
	rows := []struct {
		name string
		cur  float64
		unit string
	}{
		{"p50", f.P50, "ms"}, {"p90", f.P90, "ms"}, {"p95", f.P95, "ms"}, {"p99", f.P99, "ms"},
		{"mean", f.Mean, "ms"}, {"min", f.Min, "ms"}, {"max", f.Max, "ms"},
		{"throughput", f.RequestsPerSecond, "req/s"},
	}
	if prev == nil {
		b.WriteString("| figure | value |\n|---|---|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %.2f %s |\n", r.name, r.cur, r.unit)
		}
	} else {
		p := []float64{prev.P50, prev.P90, prev.P95, prev.P99, prev.Mean, prev.Min, prev.Max, prev.RequestsPerSecond}
		b.WriteString("| figure | value | previous | ratio |\n|---|---|---|---|\n")
		for i, r := range rows {
			ratio := "–"
			if p[i] > 0 {
				ratio = fmt.Sprintf("%.2f×", r.cur/p[i])
			}
			fmt.Fprintf(&b, "| %s | %.2f %s | %.2f %s | %s |\n", r.name, r.cur, r.unit, p[i], r.unit, ratio)
		}
	}
	if f.FirstError != "" {
		fmt.Fprintf(&b, "\nFirst error: `%s`\n", strings.ReplaceAll(f.FirstError, "`", "'"))
	}
	return b.String()
}
