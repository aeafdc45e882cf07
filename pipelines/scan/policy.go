package scan

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// Action says what a kind of finding does to the gate.
type Action string

// The actions.
const (
	Fail Action = "fail" // the finding fails the gate
	Warn Action = "warn" // the finding is reported and the gate passes
)

// Policy is a scan policy, e.g. models/diamonds/scan-policy.yaml.
type Policy struct {
	// Path is where the policy was read from; failures cite it.
	Path string `json:"path"`
	// Severity is the threshold: vulnerabilities at or above it fail. Required.
	Severity Severity `json:"severity"`
	// IgnoreUnfixed passes vulnerabilities that have no fixed version
	// (Trivy status other than "fixed"), like trivy --ignore-unfixed.
	IgnoreUnfixed bool `json:"ignoreUnfixed"`
	// Secrets says what a secret found in the image does (default fail).
	Secrets Action `json:"secrets"`
	// Misconfig says what a failed configuration check at or above
	// MisconfigSeverity does (default fail).
	Misconfig Action `json:"misconfig"`
	// MisconfigSeverity is the threshold for misconfigurations (default Severity).
	MisconfigSeverity Severity `json:"misconfigSeverity"`
	// Allow lists accepted findings, each with a reason and an expiry date.
	Allow []AllowEntry `json:"allow,omitempty"`
}

// AllowEntry accepts a finding until it expires.
type AllowEntry struct {
	// ID is a vulnerability ID (CVE-…, GHSA-…), a secret rule ID or a
	// misconfiguration ID (DS-0002).
	ID string `json:"id"`
	// Package limits the entry to one package name (optional).
	Package string `json:"package,omitempty"`
	// Target limits the entry to one Trivy target, e.g. a file path (optional).
	Target string `json:"target,omitempty"`
	// Reason says why the finding is accepted. Required.
	Reason string `json:"reason"`
	// Expires is the last day (UTC) the entry allows anything. Required.
	Expires Date `json:"expires"`
	// Line is the entry's line in the policy file.
	Line int `json:"line,omitempty"`
}

// Date is a calendar day, written YYYY-MM-DD.
type Date struct{ time.Time }

// String returns the date as YYYY-MM-DD.
func (d Date) String() string { return d.Format(time.DateOnly) }

// MarshalJSON writes the date as "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads a date written "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	t, err := time.Parse(`"`+time.DateOnly+`"`, string(b))
	if err != nil {
		return fmt.Errorf("reading a date: %s is not \"YYYY-MM-DD\"", b)
	}
	d.Time = t
	return nil
}

// expired reports whether the entry no longer allows anything at now: an
// entry is good through the whole of its expiry day, in UTC.
func (e AllowEntry) expired(now time.Time) bool {
	return !now.UTC().Before(e.Expires.AddDate(0, 0, 1))
}

// LoadPolicy reads a policy file (see ParsePolicy).
func LoadPolicy(path string) (Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("reading the scan policy: %w", err)
	}
	return ParsePolicy(data, path)
}

var (
	policyFields = []string{"severity", "ignoreUnfixed", "secrets", "misconfig", "misconfigSeverity", "allow"}
	allowFields  = []string{"id", "package", "target", "reason", "expires"}
)

// ParsePolicy parses a policy strictly: an unknown or repeated field, a value
// of the wrong kind, or an allow entry without id, reason or expires is an
// error naming the file, the line and the field. path names the file in
// errors and in the failures the policy produces.
func ParsePolicy(data []byte, path string) (Policy, error) {
	p := Policy{Path: path, Secrets: Fail, Misconfig: Fail}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Policy{}, fmt.Errorf("parsing the scan policy %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return Policy{}, fmt.Errorf("%s: the scan policy is empty: give at least severity (e.g. severity: HIGH)", path)
	}
	root := doc.Content[0]
	err := eachField(path, root, "the policy", policyFields, func(key string, v *yaml.Node) error {
		var err error
		switch key {
		case "severity":
			p.Severity, err = severityValue(path, v, key)
		case "misconfigSeverity":
			p.MisconfigSeverity, err = severityValue(path, v, key)
		case "ignoreUnfixed":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				return fmt.Errorf("%s:%d: ignoreUnfixed is %q: give true or false", path, v.Line, v.Value)
			}
			p.IgnoreUnfixed = v.Value == "true"
		case "secrets":
			p.Secrets, err = actionValue(path, v, key)
		case "misconfig":
			p.Misconfig, err = actionValue(path, v, key)
		case "allow":
			p.Allow, err = allowList(path, v)
		}
		return err
	})
	if err != nil {
		return Policy{}, err
	}
	if p.Severity == "" {
		return Policy{}, fmt.Errorf("%s: severity is missing: give the threshold at and above which findings fail (e.g. severity: HIGH)", path)
	}
	if p.MisconfigSeverity == "" {
		p.MisconfigSeverity = p.Severity
	}
	return p, nil
}

// eachField calls fn for each key of a mapping node, refusing keys not in known
// and keys given twice.
func eachField(path string, n *yaml.Node, what string, known []string, fn func(key string, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: %s must be a mapping of fields (%s)", path, n.Line, what, strings.Join(known, ", "))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(known, k.Value) {
			return fmt.Errorf("%s:%d: unknown field %q in %s: known fields are %s", path, k.Line, k.Value, what, strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return fmt.Errorf("%s:%d: field %q is given twice in %s: keep one", path, k.Line, k.Value, what)
		}
		seen[k.Value] = true
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func severityValue(path string, v *yaml.Node, key string) (Severity, error) {
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s:%d: %s must be a severity name (CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN)", path, v.Line, key)
	}
	s, err := ParseSeverity(v.Value)
	if err != nil {
		return "", fmt.Errorf("%s:%d: %s: %w", path, v.Line, key, err)
	}
	return s, nil
}

func actionValue(path string, v *yaml.Node, key string) (Action, error) {
	if v.Kind != yaml.ScalarNode || (v.Value != string(Fail) && v.Value != string(Warn)) {
		return "", fmt.Errorf("%s:%d: %s is %q: give fail or warn", path, v.Line, key, v.Value)
	}
	return Action(v.Value), nil
}

func allowList(path string, v *yaml.Node) ([]AllowEntry, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: allow must be a list of entries (- id: CVE-…, reason: …, expires: YYYY-MM-DD)", path, v.Line)
	}
	var entries []AllowEntry
	for i, n := range v.Content {
		name := fmt.Sprintf("allow[%d]", i)
		e := AllowEntry{Line: n.Line}
		err := eachField(path, n, name, allowFields, func(key string, f *yaml.Node) error {
			if f.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s:%d: %s.%s must be a single value", path, f.Line, name, key)
			}
			switch key {
			case "id":
				e.ID = strings.TrimSpace(f.Value)
			case "package":
				e.Package = strings.TrimSpace(f.Value)
			case "target":
				e.Target = strings.TrimSpace(f.Value)
			case "reason":
				e.Reason = strings.TrimSpace(f.Value)
			case "expires":
				d, err := time.Parse(time.DateOnly, f.Value)
				if err != nil {
					return fmt.Errorf("%s:%d: %s.expires is %q: give a date as YYYY-MM-DD", path, f.Line, name, f.Value)
				}
				e.Expires = Date{d}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		switch {
		case e.ID == "":
			return nil, fmt.Errorf("%s:%d: %s has no id: give the CVE, GHSA, secret rule or check ID it accepts", path, e.Line, name)
		case e.Reason == "":
			return nil, fmt.Errorf("%s:%d: %s (%s) has no reason: say why the finding is accepted", path, e.Line, name, e.ID)
		case e.Expires.IsZero():
			return nil, fmt.Errorf("%s:%d: %s (%s) has no expires: give the last day (YYYY-MM-DD) it may be accepted", path, e.Line, name, e.ID)
		}
		entries = append(entries, e)
	}
	return entries, nil
}
