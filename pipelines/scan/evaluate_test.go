package scan

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func vuln(id, pkg, sev, fixed string) Vulnerability {
	v := Vulnerability{VulnerabilityID: id, PkgName: pkg, InstalledVersion: "1.0-1", FixedVersion: fixed, Severity: sev, Status: "fixed"}
	if fixed == "" {
		v.Status = "affected"
	}
	return v
}

func report(results ...ReportResult) Report {
	return Report{SchemaVersion: 2, ArtifactName: "serving.tar", Results: results}
}

func osPkgs(vs ...Vulnerability) ReportResult {
	return ReportResult{Target: "serving.tar (debian 12.5)", Class: "os-pkgs", Type: "debian", Vulnerabilities: vs}
}

func policy(edit func(*Policy)) Policy {
	p := Policy{Path: "p.yaml", Severity: High, Secrets: Fail, Misconfig: Fail, MisconfigSeverity: High}
	if edit != nil {
		edit(&p)
	}
	return p
}

func allow(id, pkg, expires string) AllowEntry {
	d, err := time.Parse(time.DateOnly, expires)
	if err != nil {
		panic(err)
	}
	return AllowEntry{ID: id, Package: pkg, Reason: "accepted for the test", Expires: Date{d}}
}

// Every rule both ways: the bad input fails the gate, the good input passes.
func TestEvaluateRules(t *testing.T) {
	secret := ReportResult{Target: "/app/.env", Class: "secret", Secrets: []Secret{{RuleID: "github-pat", Severity: "CRITICAL", Title: "GitHub Personal Access Token", StartLine: 3}}}
	misconf := func(sev, status string) ReportResult {
		return ReportResult{Target: "Dockerfile", Class: "config", Misconfigurations: []Misconfiguration{
			{ID: "DS-0002", Title: "Image user should not be 'root'", Message: "Specify at least 1 USER command", Resolution: "Add 'USER <non root user name>' line", Severity: sev, Status: status}}}
	}
	for _, tt := range []struct {
		name    string
		report  Report
		policy  Policy
		passed  bool
		outcome Outcome // of the first finding, when there is one
		rule    string
		want    string // in the first failure or warning
	}{
		{"severity: HIGH at HIGH fails", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", "1.1-1"))), policy(nil), false, Failing, "severity",
			"CVE-1 (HIGH) in libssl3 1.0-1: upgrade libssl3 from 1.0-1 to 1.1-1"},
		{"severity: CRITICAL at HIGH fails", report(osPkgs(vuln("CVE-1", "libssl3", "CRITICAL", "1.1-1"))), policy(nil), false, Failing, "severity", "(p.yaml: severity HIGH)"},
		{"severity: MEDIUM at HIGH passes", report(osPkgs(vuln("CVE-1", "libssl3", "MEDIUM", "1.1-1"))), policy(nil), true, BelowThreshold, "severity", ""},
		{"severity: UNKNOWN at HIGH passes", report(osPkgs(vuln("CVE-1", "libssl3", "", "1.1-1"))), policy(nil), true, BelowThreshold, "severity", ""},
		{"severity: UNKNOWN at UNKNOWN fails", report(osPkgs(vuln("CVE-1", "libssl3", "", "1.1-1"))), policy(func(p *Policy) { p.Severity = Unknown }), false, Failing, "severity", ""},
		{"severity: HIGH at CRITICAL passes", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", "1.1-1"))), policy(func(p *Policy) { p.Severity = Critical }), true, BelowThreshold, "severity", ""},
		{"ignoreUnfixed off: unfixed fails", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", ""))), policy(nil), false, Failing, "severity", "no fixed version yet"},
		{"ignoreUnfixed on: unfixed passes", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", ""))), policy(func(p *Policy) { p.IgnoreUnfixed = true }), true, Unfixed, "ignoreUnfixed", ""},
		{"ignoreUnfixed on: will_not_fix passes", report(osPkgs(Vulnerability{VulnerabilityID: "CVE-1", PkgName: "p", Severity: "HIGH", Status: "will_not_fix"})), policy(func(p *Policy) { p.IgnoreUnfixed = true }), true, Unfixed, "ignoreUnfixed", ""},
		{"ignoreUnfixed on: fixed still fails", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", "1.1-1"))), policy(func(p *Policy) { p.IgnoreUnfixed = true }), false, Failing, "severity", ""},
		{"ignoreUnfixed on: no status, fixed version fails", report(osPkgs(Vulnerability{VulnerabilityID: "CVE-1", PkgName: "p", Severity: "HIGH", FixedVersion: "2"})), policy(func(p *Policy) { p.IgnoreUnfixed = true }), false, Failing, "severity", ""},
		{"secrets fail: a secret fails", report(secret), policy(nil), false, Failing, "secrets", "secret github-pat (CRITICAL, GitHub Personal Access Token) in /app/.env line 3: remove it from the image and rotate it"},
		{"secrets warn: a secret passes with a warning", report(secret), policy(func(p *Policy) { p.Secrets = Warn }), true, Warned, "secrets", "secret github-pat"},
		{"secrets fail: an allowed secret passes", report(secret), policy(func(p *Policy) {
			p.Allow = []AllowEntry{allow("github-pat", "", "2027-01-31")}
			p.Allow[0].Target = "/app/.env"
		}), true, Allowed, "allow[0]", ""},
		{"misconfig fail: HIGH fails", report(misconf("HIGH", "FAIL")), policy(nil), false, Failing, "misconfig", "DS-0002 (HIGH) in Dockerfile: Specify at least 1 USER command; Add 'USER <non root user name>' line (p.yaml: misconfig fail at HIGH)"},
		{"misconfig warn: HIGH passes with a warning", report(misconf("HIGH", "FAIL")), policy(func(p *Policy) { p.Misconfig = Warn }), true, Warned, "misconfig", "DS-0002"},
		{"misconfigSeverity: LOW passes", report(misconf("LOW", "FAIL")), policy(nil), true, BelowThreshold, "misconfigSeverity", ""},
		{"misconfigSeverity LOW: LOW fails", report(misconf("LOW", "FAIL")), policy(func(p *Policy) { p.MisconfigSeverity = Low }), false, Failing, "misconfig", ""},
		{"misconfig: a passed check is no finding", report(misconf("CRITICAL", "PASS")), policy(nil), true, "", "", ""},
		{"allow: live entry passes", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", "1.1-1"))), policy(func(p *Policy) { p.Allow = []AllowEntry{allow("CVE-1", "libssl3", "2027-01-31")} }), true, Allowed, "allow[0]", ""},
		{"allow: entry for another package fails", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", "1.1-1"))), policy(func(p *Policy) { p.Allow = []AllowEntry{allow("CVE-1", "openssl", "2027-01-31")} }), false, Failing, "severity", ""},
		{"allow: entry for another target fails", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", "1.1-1"))), policy(func(p *Policy) {
			p.Allow = []AllowEntry{allow("CVE-1", "", "2027-01-31")}
			p.Allow[0].Target = "other"
		}), false, Failing, "severity", ""},
		{"allow: expired entry fails and is named", report(osPkgs(vuln("CVE-1", "libssl3", "HIGH", "1.1-1"))), policy(func(p *Policy) { p.Allow = []AllowEntry{allow("CVE-1", "libssl3", "2026-01-31")} }), false, Failing, "severity",
			"its allow-list entry expired on 2026-01-31 (p.yaml: allow[0])"},
		{"allow: expired entry alone fails", report(), policy(func(p *Policy) { p.Allow = []AllowEntry{allow("CVE-1", "", "2026-01-31")} }), false, "", "",
			"allow-list entry CVE-1 expired on 2026-01-31 (p.yaml: allow[0]); renew it with a new reason or fix the package"},
		{"allow: unused live entry passes with a warning", report(), policy(func(p *Policy) { p.Allow = []AllowEntry{allow("CVE-1", "", "2027-01-31")} }), true, "", "",
			"allow-list entry CVE-1 matched no finding (p.yaml: allow[0])"},
		{"allow: entry for a below-threshold finding is in use", report(osPkgs(vuln("CVE-1", "libssl3", "LOW", "1.1-1"))), policy(func(p *Policy) { p.Allow = []AllowEntry{allow("CVE-1", "", "2027-01-31")} }), true, BelowThreshold, "severity", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := Evaluate(tt.report, tt.policy, now)
			if res.Passed != tt.passed {
				t.Errorf("Evaluate().Passed = %v, want %v; failures %+v", res.Passed, tt.passed, res.Failures)
			}
			if res.Passed != (len(res.Failures) == 0) {
				t.Errorf("Evaluate().Passed = %v with %d failures", res.Passed, len(res.Failures))
			}
			if tt.outcome != "" {
				if len(res.Findings) == 0 {
					t.Fatalf("Evaluate().Findings is empty, want one %s", tt.outcome)
				}
				if f := res.Findings[0]; f.Outcome != tt.outcome || f.Rule != tt.rule {
					t.Errorf("Evaluate().Findings[0] = %s by %q, want %s by %q", f.Outcome, f.Rule, tt.outcome, tt.rule)
				}
				if f := res.Findings[0]; f.Outcome == Allowed && f.Reason != "accepted for the test" {
					t.Errorf("allowed finding has reason %q, want the entry's", f.Reason)
				}
			} else if len(res.Findings) != 0 {
				t.Errorf("Evaluate().Findings = %+v, want none", res.Findings)
			}
			if tt.want != "" {
				msgs := res.Warnings
				for _, f := range res.Failures {
					msgs = append(msgs, f.Message)
				}
				if !strings.Contains(strings.Join(msgs, "\n"), tt.want) {
					t.Errorf("Evaluate() failures and warnings = %q, want one containing %q", msgs, tt.want)
				}
			}
		})
	}
}

func TestEvaluateCountsAndOrder(t *testing.T) {
	rep := report(osPkgs(
		vuln("CVE-3", "zlib1g", "LOW", "1.3"),
		vuln("CVE-2", "libssl3", "HIGH", "3.1"),
		vuln("CVE-1", "libssl3", "CRITICAL", "3.1"),
		vuln("CVE-4", "openssl", "HIGH", "3.1"),
	))
	res := Evaluate(rep, policy(func(p *Policy) { p.Allow = []AllowEntry{allow("CVE-4", "", "2027-01-31")} }), now)
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.ID+":"+string(f.Outcome))
	}
	want := "CVE-1:fail CVE-2:fail CVE-4:allowed CVE-3:below-threshold"
	if strings.Join(got, " ") != want {
		t.Errorf("Evaluate() findings = %s, want %s", strings.Join(got, " "), want)
	}
	if res.Found != (Counts{Critical: 1, High: 2, Low: 1}) || res.Failing != (Counts{Critical: 1, High: 1}) {
		t.Errorf("Evaluate() found %+v failing %+v, want 1 C 2 H 1 L found, 1 C 1 H failing", res.Found, res.Failing)
	}
	if res.Outcomes[Failing] != 2 || res.Outcomes[Allowed] != 1 || res.Outcomes[BelowThreshold] != 1 {
		t.Errorf("Evaluate() outcomes = %v", res.Outcomes)
	}
	if len(res.Failures) != 2 || res.Failures[0].ID != "CVE-1" {
		t.Errorf("Evaluate() failures = %+v, want CVE-1 then CVE-2", res.Failures)
	}
}

func TestEvaluateRecordsTheDBAndWarnsWhenStale(t *testing.T) {
	fresh := DB{Repository: "r/trivy-db:2", Digest: "sha256:abc", UpdatedAt: now.Add(-24 * time.Hour)}
	res := Evaluate(report(), policy(nil), now, WithDB(fresh))
	if res.DB != fresh || len(res.Warnings) != 0 {
		t.Errorf("Evaluate(fresh DB) db %+v warnings %q, want the DB and no warning", res.DB, res.Warnings)
	}
	stale := fresh
	stale.UpdatedAt = now.AddDate(0, 0, -30)
	res = Evaluate(report(), policy(nil), now, WithDB(stale))
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "30 days before this scan") || !res.Passed {
		t.Errorf("Evaluate(stale DB) warnings %q passed %v, want one staleness warning and a pass", res.Warnings, res.Passed)
	}
}
