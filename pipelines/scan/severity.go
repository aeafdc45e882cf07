package scan

import (
	"fmt"
	"strings"
)

// Severity is a Trivy severity name. UNKNOWN ranks below LOW, as in Trivy.
type Severity string

// The severities, lowest first.
const (
	Unknown  Severity = "UNKNOWN"
	Low      Severity = "LOW"
	Medium   Severity = "MEDIUM"
	High     Severity = "HIGH"
	Critical Severity = "CRITICAL"
)

// Severities lists every severity, highest first (the order of reports).
var Severities = []Severity{Critical, High, Medium, Low, Unknown}

// ParseSeverity reads a severity name, in any case.
func ParseSeverity(s string) (Severity, error) {
	sev := Severity(strings.ToUpper(strings.TrimSpace(s)))
	if sev.rank() < 0 {
		return "", fmt.Errorf("unknown severity %q: give one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN", s)
	}
	return sev, nil
}

// AtLeast reports whether s is as severe as min or more.
func (s Severity) AtLeast(min Severity) bool { return s.rank() >= min.rank() }

// rank orders severities: UNKNOWN 0 … CRITICAL 4; -1 for a name Trivy does not use.
func (s Severity) rank() int {
	switch s {
	case Unknown:
		return 0
	case Low:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	case Critical:
		return 4
	}
	return -1
}

// normalize turns a severity from a report into a Severity; anything Trivy
// would not write counts as UNKNOWN.
func normalize(s string) Severity {
	sev := Severity(strings.ToUpper(s))
	if sev.rank() < 0 {
		return Unknown
	}
	return sev
}

// Counts holds a number of findings per severity.
type Counts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Unknown  int `json:"unknown"`
}

// Add counts one finding of severity s.
func (c *Counts) Add(s Severity) {
	switch s {
	case Critical:
		c.Critical++
	case High:
		c.High++
	case Medium:
		c.Medium++
	case Low:
		c.Low++
	default:
		c.Unknown++
	}
}

// Of returns the count for severity s.
func (c Counts) Of(s Severity) int {
	switch s {
	case Critical:
		return c.Critical
	case High:
		return c.High
	case Medium:
		return c.Medium
	case Low:
		return c.Low
	}
	return c.Unknown
}

// Total returns the count over every severity.
func (c Counts) Total() int { return c.Critical + c.High + c.Medium + c.Low + c.Unknown }
