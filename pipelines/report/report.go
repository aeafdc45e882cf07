// Package report records what each stage of a pipeline run did and renders
// it as Markdown for people and JSON for machines.
package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Status is the outcome of a stage.
type Status string

// The outcomes a stage can have.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Stage is one step of a run.
type Stage struct {
	Name     string        `json:"name"`
	Status   Status        `json:"status"`
	Detail   string        `json:"detail,omitempty"`
	Duration time.Duration `json:"durationNs"`
}

// Report is a whole run.
type Report struct {
	Title  string  `json:"title"`
	Stages []Stage `json:"stages"`
}

// Add records a stage.
func (r *Report) Add(name string, status Status, detail string, d time.Duration) {
	r.Stages = append(r.Stages, Stage{Name: name, Status: status, Detail: detail, Duration: d})
}

// Passed reports whether no stage failed.
func (r *Report) Passed() bool {
	for _, s := range r.Stages {
		if s.Status == Failed {
			return false
		}
	}
	return true
}

// JSON renders the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

// Markdown renders the report as a table, one row per stage.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	b.WriteString("| Stage | Status | Time | Detail |\n|---|---|---|---|\n")
	for _, s := range r.Stages {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Name, s.Status, s.Duration.Round(time.Millisecond), cell(s.Detail))
	}
	verdict := "passed"
	if !r.Passed() {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "\nResult: **%s** (%d stages)\n", verdict, len(r.Stages))
	return b.String()
}

// cell keeps a detail on one table row.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "<br>")
}
