package oip

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1)
	}
	// The nearest-rank example of the usual textbook definition.
	five := []float64{15, 20, 35, 40, 50}
	tests := []struct {
		name   string
		sorted []float64
		p      float64
		want   float64
	}{
		{"1..100 p50", hundred, 50, 50},
		{"1..100 p95", hundred, 95, 95},
		{"1..100 p99", hundred, 99, 99},
		{"1..100 p100", hundred, 100, 100},
		{"five p5", five, 5, 15},
		{"five p30", five, 30, 20},
		{"five p40", five, 40, 20},
		{"five p50", five, 50, 35},
		{"five p100", five, 100, 50},
		{"one value", []float64{7}, 99, 7},
		{"none", nil, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestFill(t *testing.T) {
	var f Figures
	lat := []time.Duration{4 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}
	f.fill(lat, 2*time.Second)
	if f.P50 != 2 || f.P95 != 4 || f.Min != 1 || f.Max != 4 || f.Mean != 2.5 || f.RequestsPerSecond != 2 || f.WallMs != 2000 {
		t.Errorf("fill(1..4 ms over 2 s) = %+v, want p50 2, p95 4, min 1, max 4, mean 2.5, 2 req/s, wall 2000", f)
	}
}

func figures(p50, p95, p99, rps float64) Figures {
	return Figures{N: 200, P50: p50, P95: p95, P99: p99, RequestsPerSecond: rps}
}

func TestCompareFigures(t *testing.T) {
	prev := figures(10, 20, 30, 100)
	tests := []struct {
		name    string
		cur     Figures
		metrics []string // the regressions expected, none for a pass
	}{
		{"equal figures pass", prev, nil},
		{"faster passes", figures(5, 10, 15, 200), nil},
		{"within the ratio passes", figures(14, 29, 44, 70), nil},
		{"2x slower everywhere", figures(20, 40, 60, 50), []string{"p50", "p95", "p99", "throughput"}},
		{"only p95 doubles", figures(10, 40, 30, 100), []string{"p95"}},
		{"throughput halves", figures(10, 20, 30, 50), []string{"throughput"}},
		{"new errors", Figures{N: 200, P50: 10, P95: 20, P99: 30, RequestsPerSecond: 100, Errors: 3}, []string{"errors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CompareFigures(prev, tt.cur, 1.5)
			var got []string
			for _, e := range unwrapAll(err) {
				var r *Regression
				if !errors.As(e, &r) {
					t.Fatalf("CompareFigures error %v is not a *Regression", e)
				}
				got = append(got, r.Metric)
				if !strings.Contains(e.Error(), r.Metric) {
					t.Errorf("error %q does not name the metric %s", e, r.Metric)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.metrics, ",") {
				t.Errorf("CompareFigures(%+v) regressions = %v, want %v (error: %v)", tt.cur, got, tt.metrics, err)
			}
		})
	}
}

func TestCompareFiguresBadInput(t *testing.T) {
	prev := figures(10, 20, 30, 100)
	for _, ratio := range []float64{0.5, 0, -1} {
		if err := CompareFigures(prev, prev, ratio); err == nil || !strings.Contains(err.Error(), "≥ 1") {
			t.Errorf("CompareFigures(ratio %v) = %v, want an error about the ratio", ratio, err)
		}
	}
	if err := CompareFigures(Figures{}, prev, 1.5); err == nil || !strings.Contains(err.Error(), "previous") {
		t.Errorf("CompareFigures(empty previous) = %v, want an error about the previous figures", err)
	}
}

func TestMarkdown(t *testing.T) {
	prev := figures(10, 20, 30, 100)
	cur := figures(20, 40, 60, 50)
	cur.Model = "diamonds"
	md := cur.Markdown(&prev)
	for _, want := range []string{"# Latency of diamonds", "| p95 | 40.00 ms | 20.00 ms | 2.00× |", "| throughput | 50.00 req/s | 100.00 req/s | 0.50× |"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown() lacks %q:\n%s", want, md)
		}
	}
}

// unwrapAll lists the errors of an errors.Join.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
