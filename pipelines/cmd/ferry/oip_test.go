package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/oip"
	"github.com/ferryml/ferry/pipelines/oip/mlservertest"
)

const diamondsTestdata = "../../../models/diamonds/testdata"

// oipExit maps an error to the exit status run gives it: 0, 1 for checkFailed, 2 otherwise.
func oipExit(err error) int {
	var failed checkFailed
	switch {
	case err == nil:
		return 0
	case errors.As(err, &failed):
		return 1
	}
	return 2
}

// One real MLServer, serving the trained candidate diamonds model, for every case.
func TestOIPCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a real MLServer; run without -short")
	}
	srv := mlservertest.Start(t, mlservertest.TrainedModel(t, "candidate"))
	request := filepath.Join(diamondsTestdata, "infer-request.json")
	expected := filepath.Join(diamondsTestdata, "infer-expected.json")
	check := func(t *testing.T, extra ...string) (int, string, oipCheckReport) {
		out := t.TempDir()
		var stdout bytes.Buffer
		args := append([]string{"--url", srv.URL, "--model", srv.Model.Name, "--request", request,
			"--expected", expected, "--out", out}, extra...)
		err := oipCheck(context.Background(), args, &stdout)
		var rep oipCheckReport
		if b, rerr := os.ReadFile(filepath.Join(out, "api-check.json")); rerr == nil {
			_ = json.Unmarshal(b, &rep)
		}
		if err != nil {
			t.Logf("oipCheck: %v", err)
		}
		return oipExit(err), stdout.String(), rep
	}

	t.Run("check passes", func(t *testing.T) {
		code, stdout, rep := check(t, "--version", srv.Model.Version)
		if code != 0 || !rep.Passed || len(rep.Steps) != 6 || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, "passed") {
			t.Fatalf("oip check = %d, stdout %q, report %+v; want 0, one line, 6 steps passed", code, stdout, rep)
		}
		for _, s := range rep.Steps {
			if strings.HasPrefix(s.Name, "rejects") && !strings.HasPrefix(s.Detail, "4") {
				t.Errorf("step %q detail %q, want the 4xx status and message", s.Name, s.Detail)
			}
		}
	})
	t.Run("check fails on a wrong answer", func(t *testing.T) {
		wrong := filepath.Join(t.TempDir(), "expected.json")
		if err := os.WriteFile(wrong, []byte(`{"predict": ["Premium", "Ideal", "Very Good"]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, rep := check(t, "--expected", wrong)
		if code != 1 || rep.Passed || !strings.Contains(stdout, "failed") || !strings.Contains(stdout, `output "predict"[1]: got "Fair", want "Ideal"`) {
			t.Errorf("oip check (wrong expected) = %d, stdout %q; want 1 naming predict[1]", code, stdout)
		}
	})
	t.Run("check fails when the model is never ready", func(t *testing.T) {
		code, stdout, rep := check(t, "--model", "nope", "--wait", "1s")
		if code != 1 || len(rep.Steps) != 1 || rep.Steps[0].Name != "ready" || !strings.Contains(stdout, "Model nope not found") {
			t.Errorf("oip check (unknown model) = %d, stdout %q, steps %+v; want 1 at the ready step", code, stdout, rep.Steps)
		}
	})

	out := t.TempDir()
	bench := func(extra ...string) (int, string, error) {
		var stdout bytes.Buffer
		args := append([]string{"--url", srv.URL, "--model", srv.Model.Name, "--request", request,
			"--n", "60", "--concurrency", "2", "--out", out}, extra...)
		err := oipBench(context.Background(), args, &stdout)
		return oipExit(err), stdout.String(), err
	}
	var first oip.Figures
	t.Run("bench writes figures", func(t *testing.T) {
		code, stdout, err := bench()
		b, rerr := os.ReadFile(filepath.Join(out, "latency.json"))
		if code != 0 || rerr != nil || json.Unmarshal(b, &first) != nil || first.N != 60 || first.Errors != 0 || first.P95 <= 0 {
			t.Fatalf("oip bench = %d (%v), latency.json %s; want 0 and 60 requests measured", code, err, b)
		}
		t.Logf("%s", strings.TrimSpace(stdout))
		if md, err := os.ReadFile(filepath.Join(out, "latency.md")); err != nil || !strings.Contains(string(md), "| p95 |") {
			t.Errorf("latency.md = %q, %v; want a table with p95", md, err)
		}
	})
	t.Run("bench compares with a previous run", func(t *testing.T) {
		if first.N == 0 {
			t.Skip("no first run")
		}
		// A previous run 10x faster than this machine can be: the new run regresses.
		fast := first
		fast.P50, fast.P95, fast.P99, fast.RequestsPerSecond = first.P50/10, first.P95/10, first.P99/10, first.RequestsPerSecond*10
		prev := filepath.Join(t.TempDir(), "previous.json")
		b, _ := json.Marshal(fast)
		if err := os.WriteFile(prev, b, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, err := bench("--previous", prev, "--max-ratio", "1.5")
		if code != 1 || err == nil || !strings.Contains(err.Error(), "p95 latency") {
			t.Errorf("oip bench against a 10x faster previous run = %d, %v; want 1 naming p95", code, err)
		}
		md, _ := os.ReadFile(filepath.Join(out, "latency.md"))
		if !strings.Contains(string(md), "**Failed:**") || !strings.Contains(string(md), "| previous |") {
			t.Errorf("latency.md after a regression = %s; want the previous figures and the failure", md)
		}
		// The same figures as before, with room for a loaded machine, pass.
		b, _ = json.Marshal(first)
		if err := os.WriteFile(prev, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, err := bench("--previous", prev, "--max-ratio", "50"); code != 0 {
			t.Errorf("oip bench against its own earlier figures (max ratio 50) = %d, %v; want 0", code, err)
		}
	})
}

func TestOIPUsageErrors(t *testing.T) {
	req := filepath.Join(diamondsTestdata, "infer-request.json")
	exp := filepath.Join(diamondsTestdata, "infer-expected.json")
	dir := t.TempDir()
	empty, rows := filepath.Join(dir, "empty.json"), filepath.Join(dir, "rows.json")
	for path, body := range map[string]string{empty: `{"inputs": []}`, rows: `{"rows": [32, 159]}`} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		cmd  func(context.Context, []string, *bytes.Buffer) error
		args []string
		want string
	}{
		{"check without flags", runCheck, nil, "--expected, --model, --out, --request, --url required"},
		{"check positional", runCheck, []string{"--url", "http://127.0.0.1:1", "extra"}, `unexpected argument "extra"`},
		{"check bad url", runCheck, []string{"--url", "ftp://x", "--model", "m", "--request", req, "--expected", exp, "--out", t.TempDir()}, `scheme "ftp"`},
		{"check missing request", runCheck, []string{"--url", "http://127.0.0.1:1", "--model", "m", "--request", "/nonexistent.json", "--expected", exp, "--out", t.TempDir()}, "/nonexistent.json"},
		{"check empty request", runCheck, []string{"--url", "http://127.0.0.1:1", "--model", "m", "--request", empty, "--expected", exp, "--out", t.TempDir()}, "has no inputs"},
		{"check expected not naming an output", runCheck, []string{"--url", "http://127.0.0.1:1", "--model", "m", "--request", req, "--expected", rows, "--out", t.TempDir()}, "no key names an output"},
		{"bench without flags", runBench, nil, "--model, --out, --request, --url required"},
		{"bench bad ratio", runBench, []string{"--url", "http://127.0.0.1:1", "--model", "m", "--request", req, "--out", t.TempDir(), "--max-ratio", "0.5"}, "--max-ratio 0.5"},
		{"bench bad previous", runBench, []string{"--url", "http://127.0.0.1:1", "--model", "m", "--request", req, "--out", t.TempDir(), "--previous", req + ".missing"}, "reading --previous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout bytes.Buffer
			err := tt.cmd(context.Background(), tt.args, &stdout)
			if oipExit(err) != 2 || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s = %v (exit %d), want exit 2 saying %q", tt.name, err, oipExit(err), tt.want)
			}
		})
	}
}

func runCheck(ctx context.Context, args []string, stdout *bytes.Buffer) error {
	return oipCheck(ctx, args, stdout)
}

func runBench(ctx context.Context, args []string, stdout *bytes.Buffer) error {
	return oipBench(ctx, args, stdout)
}
