package deploy

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Step results.
const (
	Passed = "passed"
	Failed = "failed"
)

// Step is one step of a deploy.
type Step struct {
	Name     string        `json:"name"`
	Result   string        `json:"result"`
	Detail   string        `json:"detail,omitempty"`
	Duration time.Duration `json:"-"`
}

// Report is what a deploy did, for people (Markdown) and machines (JSON).
type Report struct {
	Env        string          `json:"env"`
	Namespace  string          `json:"namespace"`
	From       string          `json:"from_digest,omitempty"` // the stable image's digest before
	To         string          `json:"to_digest"`
	Strategy   string          `json:"strategy"`
	Approval   string          `json:"approval,omitempty"`
	Steps      []Step          `json:"steps"`
	Analysis   *AnalysisResult `json:"analysis,omitempty"`
	RolledBack bool            `json:"rolled_back"`
	Reason     string          `json:"reason,omitempty"` // why the deploy failed
	Recovery   time.Duration   `json:"-"`                // failure detected → previous version serving
	Retries    int             `json:"retries"`          // transient API errors retried
	Started    time.Time       `json:"started"`
	Duration   time.Duration   `json:"-"`
}

// OK reports whether every step passed.
func (r Report) OK() bool {
	for _, s := range r.Steps {
		if s.Result != Passed {
			return false
		}
	}
	return r.Reason == "" && len(r.Steps) > 0
}

// jsonReport adds durations in seconds to the JSON form.
type jsonReport struct {
	Report
	OK              bool       `json:"ok"`
	Steps           []jsonStep `json:"steps"`
	RecoverySeconds float64    `json:"recovery_seconds,omitempty"`
	DurationSeconds float64    `json:"duration_seconds"`
}

type jsonStep struct {
	Step
	DurationSeconds float64 `json:"duration_seconds"`
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

// JSON is the report as indented JSON, durations in seconds.
func (r Report) JSON() ([]byte, error) {
	j := jsonReport{Report: r, OK: r.OK(), RecoverySeconds: seconds(r.Recovery), DurationSeconds: seconds(r.Duration)}
	j.Steps = []jsonStep{}
	for _, s := range r.Steps {
		j.Steps = append(j.Steps, jsonStep{Step: s, DurationSeconds: seconds(s.Duration)})
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the deploy report: %w", err)
	}
	return append(b, '\n'), nil
}

// Markdown is the report as a Markdown section.
func (r Report) Markdown() string {
	var b strings.Builder
	outcome := "deployed"
	switch {
	case r.RolledBack:
		outcome = "rolled back"
	case !r.OK():
		outcome = "failed"
	}
	fmt.Fprintf(&b, "## Deploy to %s: %s\n\n", r.Env, outcome)
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Namespace | `%s` |\n| Strategy | %s |\n", r.Namespace, r.Strategy)
	fmt.Fprintf(&b, "| From | %s |\n| To | %s |\n", code(r.From), code(r.To))
	if r.Approval != "" {
		fmt.Fprintf(&b, "| Approval | %s |\n", cell(r.Approval))
	}
	fmt.Fprintf(&b, "| Started | %s |\n| Duration | %s |\n", r.Started.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond))
	if r.Retries > 0 {
		fmt.Fprintf(&b, "| API retries | %d |\n", r.Retries)
	}
	if r.Reason != "" {
		fmt.Fprintf(&b, "| Reason | %s |\n", cell(r.Reason))
	}
	if r.RolledBack {
		fmt.Fprintf(&b, "| Previous version serving again after | %s |\n", r.Recovery.Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "\n| Step | Result | Duration | Detail |\n|---|---|---|---|\n")
	for _, s := range r.Steps {
		mark := "✅"
		if s.Result != Passed {
			mark = "❌"
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s | %s |\n", s.Name, mark, s.Result, s.Duration.Round(time.Millisecond), cell(s.Detail))
	}
	if a := r.Analysis; a != nil {
		fmt.Fprintf(&b, "\n### Canary analysis: %s\n\n", map[bool]string{true: "passed", false: "failed"}[a.Passed])
		fmt.Fprintf(&b, "| | stable (`%s`) | canary (`%s`) |\n|---|---|---|\n", a.StablePod, a.CanaryPod)
		fmt.Fprintf(&b, "| error rate | %.2f | %.2f |\n| p95 latency | %.1f ms | %.1f ms |\n", a.StableErrorRate, a.CanaryErrorRate, a.StableP95Ms, a.CanaryP95Ms)
		fmt.Fprintf(&b, "\nRequests %d, latency ratio %.2f, prediction agreement %.2f.\n", a.Requests, a.LatencyRatio, a.Agreement)
		for _, f := range a.Failures {
			fmt.Fprintf(&b, "- %s\n", f)
		}
	}
	return b.String()
}

func code(s string) string {
	if s == "" {
		return "(none)"
	}
	return "`" + s + "`"
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
