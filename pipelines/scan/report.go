package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// SchemaVersion is the Trivy JSON report schema ferry reads.
const SchemaVersion = 2

// Report is the part of a Trivy JSON report (trivy … --format json) that the
// gate reads; field names follow trivy v0.74.0 pkg/types/report.go. Fields
// Trivy adds later are ignored.
type Report struct {
	SchemaVersion int            `json:"SchemaVersion"`
	CreatedAt     time.Time      `json:"CreatedAt,omitzero"`
	ArtifactName  string         `json:"ArtifactName,omitempty"`
	ArtifactType  string         `json:"ArtifactType,omitempty"`
	Metadata      Metadata       `json:"Metadata,omitzero"`
	Results       []ReportResult `json:"Results,omitempty"`
}

// Metadata describes the scanned artifact.
type Metadata struct {
	OS          *OS      `json:"OS,omitempty"`
	ImageID     string   `json:"ImageID,omitempty"`
	DiffIDs     []string `json:"DiffIDs,omitempty"`
	RepoTags    []string `json:"RepoTags,omitempty"`
	RepoDigests []string `json:"RepoDigests,omitempty"`
}

// OS is the operating system Trivy detected (trivy pkg/fanal/types.OS).
type OS struct {
	Family string `json:"Family"`
	Name   string `json:"Name"`
	EOSL   bool   `json:"EOSL,omitempty"`
}

// ReportResult holds the findings for one target: an OS, a lock file, a file.
type ReportResult struct {
	Target            string             `json:"Target"`
	Class             string             `json:"Class,omitempty"` // os-pkgs, lang-pkgs, config, secret, …
	Type              string             `json:"Type,omitempty"`  // debian, python-pkg, dockerfile, …
	Vulnerabilities   []Vulnerability    `json:"Vulnerabilities,omitempty"`
	Secrets           []Secret           `json:"Secrets,omitempty"`
	Misconfigurations []Misconfiguration `json:"Misconfigurations,omitempty"`
}

// Vulnerability is a vulnerable package (trivy pkg/types.DetectedVulnerability
// with the embedded trivy-db types.Vulnerability).
type Vulnerability struct {
	VulnerabilityID  string `json:"VulnerabilityID"`
	PkgID            string `json:"PkgID,omitempty"`
	PkgName          string `json:"PkgName"`
	PkgPath          string `json:"PkgPath,omitempty"`
	InstalledVersion string `json:"InstalledVersion"`
	FixedVersion     string `json:"FixedVersion,omitempty"`
	// Status is fixed, affected, will_not_fix, fix_deferred, end_of_life, …
	Status     string `json:"Status,omitempty"`
	Severity   string `json:"Severity"`
	Title      string `json:"Title,omitempty"`
	PrimaryURL string `json:"PrimaryURL,omitempty"`
}

// Secret is a secret found in a file (trivy pkg/fanal/types.SecretFinding).
// The matched text is deliberately not read: it must not reach ferry's reports.
type Secret struct {
	RuleID    string `json:"RuleID"`
	Category  string `json:"Category,omitempty"`
	Severity  string `json:"Severity"`
	Title     string `json:"Title,omitempty"`
	StartLine int    `json:"StartLine,omitempty"`
	EndLine   int    `json:"EndLine,omitempty"`
}

// Misconfiguration is a failed (or passed) configuration check
// (trivy pkg/types.DetectedMisconfiguration).
type Misconfiguration struct {
	Type       string `json:"Type,omitempty"`
	ID         string `json:"ID"`
	AVDID      string `json:"AVDID,omitempty"`
	Title      string `json:"Title,omitempty"`
	Message    string `json:"Message,omitempty"`
	Resolution string `json:"Resolution,omitempty"`
	Severity   string `json:"Severity"`
	PrimaryURL string `json:"PrimaryURL,omitempty"`
	// Status is FAIL, PASS or EXCEPTION; only FAIL is a finding.
	Status string `json:"Status,omitempty"`
}

// ReadReport decodes a Trivy JSON report and checks its schema version.
func ReadReport(r io.Reader) (Report, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return Report{}, fmt.Errorf("decoding the Trivy report (want the output of trivy --format json): %w", err)
	}
	if rep.SchemaVersion != SchemaVersion {
		return Report{}, fmt.Errorf("checking the report schema: SchemaVersion is %d, ferry reads %d (the output of trivy v0.74.0 --format json)",
			rep.SchemaVersion, SchemaVersion)
	}
	return rep, nil
}

// LoadReport reads a Trivy JSON report from a file.
func LoadReport(path string) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, fmt.Errorf("reading the Trivy report: %w", err)
	}
	defer f.Close()
	rep, err := ReadReport(f)
	if err != nil {
		return Report{}, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}
