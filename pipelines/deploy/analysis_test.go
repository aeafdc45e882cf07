package deploy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func samples(n int, lat time.Duration, errEvery int, values ...any) []sample {
	var out []sample
	for i := range n {
		s := sample{answer: Answer{Values: values}, latency: lat}
		if errEvery > 0 && i%errEvery == 0 {
			s = sample{err: errors.New("HTTP 500"), latency: lat}
		}
		out = append(out, s)
	}
	return out
}

func TestAnalysisJudge(t *testing.T) {
	a := DefaultAnalysis()
	ok := samples(20, 5*time.Millisecond, 0, "Premium", json.Number("1.5"))
	tests := []struct {
		name     string
		canary   []sample
		wantFail string // "" for a pass
	}{
		{"same", samples(20, 6*time.Millisecond, 0, "Premium", 1.5), ""},
		{"within tolerance", samples(20, 6*time.Millisecond, 0, "Premium", 1.5+1e-9), ""},
		{"fast noise under the floor", samples(20, 40*time.Millisecond, 0, "Premium", 1.5), ""},
		{"errors", samples(20, 5*time.Millisecond, 4, "Premium", 1.5), "MaxErrorRate"},
		{"slow", samples(20, 300*time.Millisecond, 0, "Premium", 1.5), "MaxLatencyRatio"},
		{"other label", samples(20, 5*time.Millisecond, 0, "Ideal", 1.5), "MinAgreement"},
		{"other number", samples(20, 5*time.Millisecond, 0, "Premium", 1.6), "MinAgreement"},
		{"fewer outputs", samples(20, 5*time.Millisecond, 0, "Premium"), "MinAgreement"},
		{"no probes", nil, "no probes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.judge(ok, tt.canary)
			got := strings.Join(r.Failures, "; ")
			if tt.wantFail == "" {
				if !r.Passed {
					t.Errorf("judge() failed: %s; want a pass", got)
				}
				return
			}
			if r.Passed || !strings.Contains(got, tt.wantFail) {
				t.Errorf("judge() = passed %v, failures %q; want a failure naming %s", r.Passed, got, tt.wantFail)
			}
		})
	}
}

func TestP95(t *testing.T) {
	var ss []sample
	for i := 1; i <= 100; i++ {
		ss = append(ss, sample{latency: time.Duration(i) * time.Millisecond})
	}
	if got := p95(ss); got != 95*time.Millisecond {
		t.Errorf("p95(1..100ms) = %s, want 95ms", got)
	}
}
