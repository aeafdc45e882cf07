package scan

import (
	"strings"
	"testing"
	"time"
)

func TestLoadPolicyReadsTheExample(t *testing.T) {
	p, err := LoadPolicy("testdata/policy.yaml")
	if err != nil {
		t.Fatalf("LoadPolicy(testdata/policy.yaml) = %v", err)
	}
	if p.Severity != High || !p.IgnoreUnfixed || p.Secrets != Fail || p.Misconfig != Warn || p.MisconfigSeverity != High {
		t.Errorf("LoadPolicy = %+v, want HIGH, ignoreUnfixed, secrets fail, misconfig warn at HIGH", p)
	}
	if len(p.Allow) != 2 {
		t.Fatalf("LoadPolicy allow = %+v, want 2 entries", p.Allow)
	}
	a := p.Allow[0]
	if a.ID != "CVE-2023-5363" || a.Package != "libssl3" || a.Reason == "" || a.Expires.String() != "2027-01-31" || a.Line != 13 {
		t.Errorf("allow[0] = %+v, want CVE-2023-5363 libssl3 expiring 2027-01-31 at line 13", a)
	}
}

func TestParsePolicyDefaults(t *testing.T) {
	p, err := ParsePolicy([]byte("severity: critical\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Severity != Critical || p.MisconfigSeverity != Critical || p.Secrets != Fail || p.Misconfig != Fail || p.IgnoreUnfixed || p.Path != "p.yaml" {
		t.Errorf("ParsePolicy(severity only) = %+v, want CRITICAL everywhere, fail, fail", p)
	}
}

func TestParsePolicyRefusesBadInput(t *testing.T) {
	entry := "allow:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-31\n"
	for _, tt := range []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"empty", "", []string{"p.yaml", "empty", "severity"}},
		{"no severity", "ignoreUnfixed: true\n", []string{"severity is missing"}},
		{"unknown field", "severity: HIGH\nsevrity: LOW\n", []string{"p.yaml:2", `unknown field "sevrity"`, "known fields are severity"}},
		{"field twice", "severity: HIGH\nseverity: LOW\n", []string{"p.yaml:2", `"severity" is given twice`}},
		{"bad severity", "severity: SEVERE\n", []string{"p.yaml:1", "SEVERE", "CRITICAL, HIGH"}},
		{"bad misconfig severity", "severity: HIGH\nmisconfigSeverity: [HIGH]\n", []string{"p.yaml:2", "misconfigSeverity"}},
		{"bad bool", "severity: HIGH\nignoreUnfixed: yes\n", []string{"p.yaml:2", "ignoreUnfixed", "true or false"}},
		{"bad secrets", "severity: HIGH\nsecrets: ignore\n", []string{"p.yaml:2", "secrets", "fail or warn"}},
		{"bad misconfig", "severity: HIGH\nmisconfig: off\n", []string{"p.yaml:2", "misconfig", "fail or warn"}},
		{"not a mapping", "- severity: HIGH\n", []string{"p.yaml:1", "mapping"}},
		{"allow not a list", "severity: HIGH\nallow: CVE-1\n", []string{"p.yaml:2", "allow must be a list"}},
		{"allow unknown field", "severity: HIGH\n" + strings.Replace(entry, "reason", "reasons", 1), []string{"p.yaml:4", `unknown field "reasons" in allow[0]`}},
		{"allow no id", "severity: HIGH\nallow:\n  - reason: r\n    expires: 2027-01-31\n", []string{"p.yaml:3", "allow[0] has no id"}},
		{"allow no reason", "severity: HIGH\nallow:\n  - id: CVE-1\n    expires: 2027-01-31\n", []string{"p.yaml:3", "allow[0] (CVE-1) has no reason"}},
		{"allow blank reason", "severity: HIGH\nallow:\n  - id: CVE-1\n    reason: '  '\n    expires: 2027-01-31\n", []string{"allow[0] (CVE-1) has no reason"}},
		{"allow no expires", "severity: HIGH\nallow:\n  - id: CVE-1\n    reason: r\n", []string{"p.yaml:3", "allow[0] (CVE-1) has no expires"}},
		{"allow bad date", "severity: HIGH\nallow:\n  - id: CVE-1\n    reason: r\n    expires: next year\n", []string{"p.yaml:5", "allow[0].expires", "YYYY-MM-DD"}},
		{"allow timestamp", "severity: HIGH\nallow:\n  - id: CVE-1\n    reason: r\n    expires: 2027-01-31T10:00:00Z\n", []string{"allow[0].expires", "YYYY-MM-DD"}},
		{"second entry", "severity: HIGH\n" + entry + "  - id: CVE-2\n    expires: 2027-01-31\n", []string{"p.yaml:6", "allow[1] (CVE-2) has no reason"}},
		{"not yaml", "severity: [HIGH\n", []string{"parsing the scan policy p.yaml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.yaml), "p.yaml")
			if err == nil {
				t.Fatalf("ParsePolicy(%q) = nil error, want one", tt.yaml)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParsePolicy(%q) = %q, want it to contain %q", tt.yaml, err, w)
				}
			}
		})
	}
}

func TestAllowEntryHoldsThroughItsExpiryDay(t *testing.T) {
	e := AllowEntry{Expires: Date{time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}}
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 1, 30, 12, 0, 0, 0, time.UTC), false},
		{time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC), false},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2026, 1, 31, 20, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), true}, // 01:00 UTC on Feb 1
	} {
		if got := e.expired(tt.now); got != tt.want {
			t.Errorf("expired(%s) = %v, want %v", tt.now, got, tt.want)
		}
	}
}
