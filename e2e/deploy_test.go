//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

// The deploy chain on the embedded cluster (a real node): v1 rolling, v2 as
// a canary promoted after analysis, a bad v3 rolled back automatically;
// every step checked with real inference requests through the API server.
func TestRehearseDeployChain(t *testing.T) {
	e := testbedEnv(t)
	start := time.Now()
	r := callResult(t, e, true, "rehearse")
	t.Logf("rehearse took %s:\n%s", time.Since(start).Round(time.Second), r.stdout)
	if r.err != nil {
		t.Fatalf("rehearse: %v\n%s", r.err, tail(r.stderr, 60))
	}
	for _, want := range []string{"deploy v1 (rolling)", "deploy v2 (canary)", "rolled back", "inference after v3 (crashes)", "Result: **passed**"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("rehearsal report lacks %q", want)
		}
	}
}
