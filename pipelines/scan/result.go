package scan

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Kind is the kind of a finding.
type Kind string

// The kinds of findings.
const (
	KindVulnerability Kind = "vulnerability"
	KindSecret        Kind = "secret"
	KindMisconfig     Kind = "misconfiguration"
)

// Outcome is what the policy made of a finding.
type Outcome string

// The outcomes, in the order reports list them.
const (
	Failing        Outcome = "fail"            // fails the gate
	Warned         Outcome = "warn"            // reported; the policy says warn
	Allowed        Outcome = "allowed"         // accepted by a live allow-list entry
	Unfixed        Outcome = "ignored-unfixed" // no fix yet and ignoreUnfixed is set
	BelowThreshold Outcome = "below-threshold" // less severe than the threshold
)

func (o Outcome) rank() int {
	switch o {
	case Failing:
		return 0
	case Warned:
		return 1
	case Allowed:
		return 2
	case Unfixed:
		return 3
	}
	return 4
}

// DB describes the vulnerability database the scan used, as the caller knows
// it (Trivy's report does not say).
type DB struct {
	// Repository is the --db-repository reference the DB came from.
	Repository string `json:"repository,omitempty"`
	// Digest is the DB artifact's manifest digest (sha256:…).
	Digest string `json:"digest,omitempty"`
	// UpdatedAt and NextUpdate come from the DB's metadata.json.
	UpdatedAt  time.Time `json:"updatedAt,omitzero"`
	NextUpdate time.Time `json:"nextUpdate,omitzero"`
}

// Finding is one vulnerability, secret or misconfiguration and its outcome.
type Finding struct {
	Kind             Kind     `json:"kind"`
	ID               string   `json:"id"`
	Target           string   `json:"target"`
	Package          string   `json:"package,omitempty"`
	InstalledVersion string   `json:"installedVersion,omitempty"`
	FixedVersion     string   `json:"fixedVersion,omitempty"`
	Status           string   `json:"status,omitempty"`
	Line             int      `json:"line,omitempty"`
	Severity         Severity `json:"severity"`
	Title            string   `json:"title,omitempty"`
	URL              string   `json:"url,omitempty"`
	Outcome          Outcome  `json:"outcome"`
	// Rule is the policy field that decided: severity, ignoreUnfixed,
	// secrets, misconfig, misconfigSeverity, or allow[N].
	Rule string `json:"rule"`
	// Reason is the allow-list entry's reason, for allowed findings.
	Reason string `json:"reason,omitempty"`
	// Hint says how to fix a failing or warned finding.
	Hint string `json:"hint,omitempty"`
}

// Failure is one reason the gate failed, with how to fix it.
type Failure struct {
	// Rule is the policy field broken, e.g. "severity" or "allow[0].expires".
	Rule string `json:"rule"`
	// ID is the finding or allow-list entry concerned.
	ID      string `json:"id"`
	Message string `json:"message"`
}

// Result is the verdict of the gate.
type Result struct {
	Passed      bool      `json:"passed"`
	Artifact    string    `json:"artifact,omitempty"`
	ImageID     string    `json:"imageID,omitempty"`
	RepoDigests []string  `json:"repoDigests,omitempty"`
	OS          string    `json:"os,omitempty"`
	EvaluatedAt time.Time `json:"evaluatedAt"`
	DB          DB        `json:"db"`
	Policy      Policy    `json:"policy"`
	// Found counts every finding by severity; Failing those that fail.
	Found   Counts `json:"found"`
	Failing Counts `json:"failing"`
	// Outcomes counts findings by outcome.
	Outcomes map[Outcome]int `json:"outcomes"`
	Failures []Failure       `json:"failures"`
	Warnings []string        `json:"warnings"`
	Findings []Finding       `json:"findings"`
}

// JSON returns the result as indented JSON.
func (r Result) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ReadDBMetadata reads the UpdatedAt and NextUpdate of a Trivy DB from its
// metadata.json (<trivy cache dir>/db/metadata.json).
func ReadDBMetadata(path string) (DB, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return DB{}, fmt.Errorf("reading the trivy DB metadata: %w", err)
	}
	var m struct {
		Version               int
		UpdatedAt, NextUpdate time.Time
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return DB{}, fmt.Errorf("reading the trivy DB metadata %s (want trivy's db/metadata.json): %w", path, err)
	}
	if m.Version != 2 || m.UpdatedAt.IsZero() {
		return DB{}, fmt.Errorf("reading the trivy DB metadata %s: Version %d, UpdatedAt %s: want a schema 2 DB's metadata.json", path, m.Version, m.UpdatedAt)
	}
	return DB{UpdatedAt: m.UpdatedAt, NextUpdate: m.NextUpdate}, nil
}
