package scan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// staleAfter is how old a vulnerability DB may be before the result warns.
const staleAfter = 7 * 24 * time.Hour

// Option changes how Evaluate works.
type Option func(*options)

type options struct{ db DB }

// WithDB records the vulnerability DB the scan used (default: none recorded).
// A DB older than seven days at evaluation time adds a warning.
func WithDB(db DB) Option { return func(o *options) { o.db = db } }

// Evaluate judges every finding of report against policy at time now:
// each finding fails, is warned about, is allowed (by which entry), is an
// ignored unfixed vulnerability, or is below its threshold. An allow-list
// entry that expired before now allows nothing and is itself a failure.
func Evaluate(report Report, policy Policy, now time.Time, opts ...Option) Result {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	e := evaluation{policy: policy, now: now, used: make([]bool, len(policy.Allow))}
	res := Result{
		Artifact:    report.ArtifactName,
		ImageID:     report.Metadata.ImageID,
		RepoDigests: report.Metadata.RepoDigests,
		EvaluatedAt: now.UTC(),
		DB:          o.db,
		Policy:      policy,
		Outcomes:    map[Outcome]int{},
		Failures:    []Failure{},
		Warnings:    []string{},
		Findings:    []Finding{},
	}
	if osi := report.Metadata.OS; osi != nil {
		res.OS = strings.TrimSpace(osi.Family + " " + osi.Name)
		if osi.EOSL {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is end of life: its advisories may be incomplete; move the image to a supported release", res.OS))
		}
	}
	for _, r := range report.Results {
		for _, v := range r.Vulnerabilities {
			res.Findings = append(res.Findings, e.vulnerability(r, v))
		}
		for _, s := range r.Secrets {
			res.Findings = append(res.Findings, e.secret(r, s))
		}
		for _, m := range r.Misconfigurations {
			if m.Status == "" || m.Status == "FAIL" {
				res.Findings = append(res.Findings, e.misconfig(r, m))
			}
		}
	}
	slices.SortStableFunc(res.Findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Outcome.rank(), b.Outcome.rank()), cmp.Compare(b.Severity.rank(), a.Severity.rank()),
			cmp.Compare(a.ID, b.ID), cmp.Compare(a.Package, b.Package), cmp.Compare(a.Target, b.Target))
	})
	for _, f := range res.Findings {
		res.Found.Add(f.Severity)
		res.Outcomes[f.Outcome]++
		switch f.Outcome {
		case Failing:
			res.Failing.Add(f.Severity)
			res.Failures = append(res.Failures, Failure{Rule: f.Rule, ID: f.ID, Message: f.Hint})
		case Warned:
			res.Warnings = append(res.Warnings, f.Hint)
		}
	}
	for i, a := range policy.Allow {
		name := fmt.Sprintf("allow[%d]", i)
		switch {
		case a.expired(now):
			res.Failures = append(res.Failures, Failure{Rule: name + ".expires", ID: a.ID, Message: fmt.Sprintf(
				"allow-list entry %s expired on %s (%s: %s); renew it with a new reason or fix the package",
				a.ID, a.Expires, policy.Path, name)})
		case !e.used[i]:
			res.Warnings = append(res.Warnings, fmt.Sprintf(
				"allow-list entry %s matched no finding (%s: %s); remove it if the finding is gone", a.ID, policy.Path, name))
		}
	}
	if !o.db.UpdatedAt.IsZero() && now.Sub(o.db.UpdatedAt) > staleAfter {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"the vulnerability DB was updated %s, %d days before this scan: newer advisories are missing; refresh the DB",
			o.db.UpdatedAt.UTC().Format(time.DateOnly), int(now.Sub(o.db.UpdatedAt).Hours()/24)))
	}
	res.Passed = len(res.Failures) == 0
	return res
}

// evaluation holds the state of one Evaluate call.
type evaluation struct {
	policy Policy
	now    time.Time
	used   []bool // allow-list entries that allowed a finding or would have
}

// allow finds the first live allow-list entry for f, and the first expired one.
func (e *evaluation) allow(f Finding) (live, expired int) {
	live, expired = -1, -1
	for i, a := range e.policy.Allow {
		if !strings.EqualFold(a.ID, f.ID) || (a.Package != "" && a.Package != f.Package) || (a.Target != "" && a.Target != f.Target) {
			continue
		}
		if a.expired(e.now) {
			if expired < 0 {
				expired = i
			}
			continue
		}
		if live < 0 {
			live = i
			e.used[i] = true
		}
	}
	return live, expired
}

// decide settles the outcome of a finding at or above its threshold:
// allowed by a live entry, else fail or warn as action says.
func (e *evaluation) decide(f *Finding, action Action, rule, hint string) {
	live, expired := e.allow(*f)
	if live >= 0 {
		f.Outcome, f.Rule, f.Reason = Allowed, fmt.Sprintf("allow[%d]", live), e.policy.Allow[live].Reason
		return
	}
	if expired >= 0 {
		hint += fmt.Sprintf("; its allow-list entry expired on %s (%s: allow[%d])", e.policy.Allow[expired].Expires, e.policy.Path, expired)
	}
	f.Outcome, f.Rule, f.Hint = Failing, rule, hint
	if action == Warn {
		f.Outcome = Warned
	}
}

func (e *evaluation) vulnerability(r ReportResult, v Vulnerability) Finding {
	f := Finding{Kind: KindVulnerability, ID: v.VulnerabilityID, Target: r.Target, Package: v.PkgName,
		InstalledVersion: v.InstalledVersion, FixedVersion: v.FixedVersion, Status: v.Status,
		Severity: normalize(v.Severity), Title: v.Title, URL: v.PrimaryURL}
	unfixed := v.FixedVersion == ""
	if v.Status != "" {
		unfixed = v.Status != "fixed" // as trivy --ignore-unfixed
	}
	switch {
	case e.policy.IgnoreUnfixed && unfixed:
		f.Outcome, f.Rule = Unfixed, "ignoreUnfixed"
		e.allow(f) // an entry for it is still in use
	case !f.Severity.AtLeast(e.policy.Severity):
		f.Outcome, f.Rule = BelowThreshold, "severity"
		e.allow(f)
	default:
		where := fmt.Sprintf("%s (%s) in %s %s", f.ID, f.Severity, f.Package, f.InstalledVersion)
		if v.PkgPath != "" {
			where += " at " + v.PkgPath
		}
		fix := fmt.Sprintf("upgrade %s from %s to %s", f.Package, f.InstalledVersion, f.FixedVersion)
		if f.FixedVersion == "" {
			fix = "no fixed version yet: allow-list it with a reason and an expiry, or set ignoreUnfixed: true"
		} else {
			fix += " (rebuild the image on an updated base or bump the pin), or allow-list it with a reason and an expiry"
		}
		e.decide(&f, Fail, "severity", fmt.Sprintf("%s: %s (%s: severity %s)", where, fix, e.policy.Path, e.policy.Severity))
	}
	return f
}

func (e *evaluation) secret(r ReportResult, s Secret) Finding {
	f := Finding{Kind: KindSecret, ID: s.RuleID, Target: r.Target, Line: s.StartLine,
		Severity: normalize(s.Severity), Title: s.Title}
	hint := fmt.Sprintf("secret %s (%s, %s) in %s line %d: remove it from the image and rotate it (%s: secrets %s)",
		f.ID, f.Severity, f.Title, f.Target, f.Line, e.policy.Path, e.policy.Secrets)
	e.decide(&f, e.policy.Secrets, "secrets", hint)
	return f
}

func (e *evaluation) misconfig(r ReportResult, m Misconfiguration) Finding {
	f := Finding{Kind: KindMisconfig, ID: cmp.Or(m.ID, m.AVDID), Target: r.Target,
		Severity: normalize(m.Severity), Title: m.Title, URL: m.PrimaryURL}
	if !f.Severity.AtLeast(e.policy.MisconfigSeverity) {
		f.Outcome, f.Rule = BelowThreshold, "misconfigSeverity"
		e.allow(f)
		return f
	}
	hint := fmt.Sprintf("%s (%s) in %s: %s", f.ID, f.Severity, f.Target, cmp.Or(m.Message, m.Title))
	if m.Resolution != "" {
		hint += "; " + strings.TrimSuffix(m.Resolution, ".")
	}
	hint += fmt.Sprintf(" (%s: misconfig %s at %s)", e.policy.Path, e.policy.Misconfig, e.policy.MisconfigSeverity)
	e.decide(&f, e.policy.Misconfig, "misconfig", hint)
	return f
}
