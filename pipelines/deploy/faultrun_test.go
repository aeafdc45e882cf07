package deploy

import (
	"encoding/json"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

// figuresEnv names a file to write the fault-injection figures to, as JSON.
const figuresEnv = "FERRY_DEPLOY_FIGURES"

// Figures are the results of a fault-injection run.
type figures struct {
	Runs              int            `json:"runs"`
	RolledBack        int            `json:"rolled_back"`
	RestoredExactly   int            `json:"restored_exactly"`
	SuccessRate       float64        `json:"rollback_success_rate"`
	MedianRecoveryMs  float64        `json:"median_recovery_ms"`
	WorstRecoveryMs   float64        `json:"worst_recovery_ms"`
	RecoveryMsByFault map[string]any `json:"recovery_ms_by_fault"`
}

// TestFaultInjectionRun fails rollouts of every kind, rounds times each, and reports the
// rollback success rate and the time from failure detected to the previous version
// serving again. The times are figures, not assertions; every rollback must succeed.
func TestFaultInjectionRun(t *testing.T) {
	c := cluster(t)
	const rounds = 3
	var (
		mu     sync.Mutex
		figs   = figures{RecoveryMsByFault: map[string]any{}}
		all    []time.Duration
		failed []string
	)
	t.Run("faults", func(t *testing.T) {
		for _, fc := range faultCases {
			t.Run(fc.name, func(t *testing.T) {
				t.Parallel()
				ns := namespace(t)
				mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
				var times []float64
				for range rounds {
					before := state(t, c, ns)
					rep := runFault(t, c, ns, fc)
					exact := state(t, c, ns) == before && rep.RolledBack
					mu.Lock()
					figs.Runs++
					if rep.RolledBack {
						figs.RolledBack++
						all = append(all, rep.Recovery)
						times = append(times, ms(rep.Recovery))
					}
					if exact {
						figs.RestoredExactly++
					} else {
						failed = append(failed, fc.name+": "+rep.Reason)
					}
					mu.Unlock()
				}
				mu.Lock()
				figs.RecoveryMsByFault[fc.name] = times
				mu.Unlock()
			})
		}
	})
	if figs.Runs < 20 {
		t.Fatalf("only %d failed rollouts ran, want ≥ 20", figs.Runs)
	}
	slices.Sort(all)
	figs.SuccessRate = float64(figs.RestoredExactly) / float64(figs.Runs)
	if len(all) > 0 {
		figs.MedianRecoveryMs, figs.WorstRecoveryMs = ms(all[len(all)/2]), ms(all[len(all)-1])
	}
	t.Logf("fault injection: %d failed rollouts, %d rolled back, %d restored exactly (rate %.2f); "+
		"failure detected → previous version serving: median %.0f ms, worst %.0f ms",
		figs.Runs, figs.RolledBack, figs.RestoredExactly, figs.SuccessRate, figs.MedianRecoveryMs, figs.WorstRecoveryMs)
	if path := os.Getenv(figuresEnv); path != "" {
		b, _ := json.MarshalIndent(figs, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Error(err)
		}
	}
	if len(failed) > 0 {
		t.Errorf("%d rollbacks did not restore the namespace exactly: %v", len(failed), failed)
	}
}
