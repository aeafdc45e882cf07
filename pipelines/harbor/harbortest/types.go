package harbortest

import "time"

// The wire types below carry Harbor's JSON field names; the contract test
// checks each against swagger.yaml's definitions.

// Errors is Harbor's error body (definitions/Errors).
type Errors struct {
	Errors []Error `json:"errors"`
}

// Error is one entry of Errors (definitions/Error).
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ProjectMetadata is definitions/ProjectMetadata (every value a string).
type ProjectMetadata struct {
	Public      string  `json:"public,omitempty"`
	AutoScan    *string `json:"auto_scan,omitempty"`
	RetentionID *string `json:"retention_id,omitempty"`
}

// ProjectReq is definitions/ProjectReq.
type ProjectReq struct {
	ProjectName  string           `json:"project_name"`
	Public       *bool            `json:"public,omitempty"`
	Metadata     *ProjectMetadata `json:"metadata,omitempty"`
	StorageLimit *int64           `json:"storage_limit,omitempty"`
}

// Project is definitions/Project.
type Project struct {
	ProjectID    int64           `json:"project_id"`
	Name         string          `json:"name"`
	OwnerID      int64           `json:"owner_id"`
	OwnerName    string          `json:"owner_name"`
	CreationTime time.Time       `json:"creation_time"`
	UpdateTime   time.Time       `json:"update_time"`
	Deleted      bool            `json:"deleted"`
	RepoCount    int64           `json:"repo_count"`
	Metadata     ProjectMetadata `json:"metadata"`
}

// Policy is definitions/RetentionPolicy.
type Policy struct {
	ID        int64    `json:"id,omitempty"`
	Algorithm string   `json:"algorithm,omitempty"`
	Rules     []Rule   `json:"rules"`
	Trigger   *Trigger `json:"trigger,omitempty"`
	Scope     *Scope   `json:"scope,omitempty"`
}

// Rule is definitions/RetentionRule.
type Rule struct {
	ID             int64                 `json:"id,omitempty"`
	Priority       int64                 `json:"priority,omitempty"`
	Disabled       bool                  `json:"disabled,omitempty"`
	Action         string                `json:"action,omitempty"`
	Template       string                `json:"template,omitempty"`
	Params         map[string]any        `json:"params,omitempty"`
	TagSelectors   []Selector            `json:"tag_selectors"`
	ScopeSelectors map[string][]Selector `json:"scope_selectors,omitempty"`
}

// Selector is definitions/RetentionSelector.
type Selector struct {
	Kind       string `json:"kind,omitempty"`
	Decoration string `json:"decoration,omitempty"`
	Pattern    string `json:"pattern,omitempty"`
	Extras     string `json:"extras,omitempty"`
}

// Trigger is definitions/RetentionRuleTrigger.
type Trigger struct {
	Kind       string         `json:"kind,omitempty"`
	Settings   map[string]any `json:"settings,omitempty"`
	References map[string]any `json:"references,omitempty"`
}

// Scope is definitions/RetentionPolicyScope.
type Scope struct {
	Level string `json:"level,omitempty"`
	Ref   int64  `json:"ref,omitempty"`
}

// ScanType is definitions/ScanType.
type ScanType struct {
	ScanType string `json:"scan_type,omitempty"`
}

// Artifact is definitions/Artifact (the fields the fake fills).
type Artifact struct {
	ID                int64                    `json:"id"`
	Type              string                   `json:"type"`
	MediaType         string                   `json:"media_type"`
	ManifestMediaType string                   `json:"manifest_media_type"`
	ProjectID         int64                    `json:"project_id"`
	RepositoryID      int64                    `json:"repository_id"`
	RepositoryName    string                   `json:"repository_name"`
	Digest            string                   `json:"digest"`
	Size              int64                    `json:"size"`
	PushTime          time.Time                `json:"push_time"`
	Tags              []Tag                    `json:"tags"`
	ScanOverview      map[string]ReportSummary `json:"scan_overview,omitempty"`
}

// Tag is definitions/Tag.
type Tag struct {
	ID           int64     `json:"id"`
	RepositoryID int64     `json:"repository_id"`
	ArtifactID   int64     `json:"artifact_id"`
	Name         string    `json:"name"`
	PushTime     time.Time `json:"push_time"`
	Immutable    bool      `json:"immutable"`
}

// ReportSummary is definitions/NativeReportSummary.
type ReportSummary struct {
	ReportID        string                `json:"report_id"`
	ScanStatus      string                `json:"scan_status"`
	Severity        string                `json:"severity,omitempty"`
	Duration        int64                 `json:"duration"`
	Summary         *VulnerabilitySummary `json:"summary,omitempty"`
	StartTime       *time.Time            `json:"start_time,omitempty"`
	EndTime         *time.Time            `json:"end_time,omitempty"`
	CompletePercent int64                 `json:"complete_percent"`
	Scanner         *Scanner              `json:"scanner,omitempty"`
}

// VulnerabilitySummary is definitions/VulnerabilitySummary.
type VulnerabilitySummary struct {
	Total   int64            `json:"total"`
	Fixable int64            `json:"fixable"`
	Summary map[string]int64 `json:"summary"`
}

// Scanner is definitions/Scanner.
type Scanner struct {
	Name    string `json:"name"`
	Vendor  string `json:"vendor"`
	Version string `json:"version"`
}
