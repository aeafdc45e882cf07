package harbor

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/artifact"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/scan"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/models"
)

// Report MIME types Harbor keys scan_overview by, preferred first.
var reportTypes = []string{
	"application/vnd.security.vulnerability.report; version=1.1",
	"application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0",
}

// StatusNotScanned is Overview.Status for an artifact with no scan report.
const StatusNotScanned = "Not Scanned"

// Overview is an artifact's vulnerability scan summary.
type Overview struct {
	// Status is Harbor's scan_status: Pending, Running, Success, Error,
	// Stopped, or StatusNotScanned.
	Status   string           `json:"status"`
	Severity string           `json:"severity,omitempty"` // highest found: Critical, High, Medium, Low, Unknown, None
	Total    int64            `json:"total"`
	Fixable  int64            `json:"fixable"`
	Counts   map[string]int64 `json:"counts,omitempty"` // by severity
	// CompletePercent is the scan's progress, 0-100.
	CompletePercent int64     `json:"completePercent"`
	ReportID        string    `json:"reportId,omitempty"`
	Scanner         string    `json:"scanner,omitempty"`
	Start           time.Time `json:"start,omitzero"`
	End             time.Time `json:"end,omitzero"`
}

// Done reports whether the scan has finished, well or not.
func (o Overview) Done() bool {
	return o.Status == "Success" || o.Status == "Error" || o.Status == "Stopped"
}

// TriggerScan asks Harbor to scan project/repo at reference (a tag or digest)
// for vulnerabilities. It returns when Harbor has queued the scan; read
// progress with ScanOverview.
func (c *Client) TriggerScan(ctx context.Context, project, repo, reference string) error {
	if err := checkArtifact(project, repo, reference); err != nil {
		return err
	}
	_, err := c.scans.ScanArtifact(ctx, &scan.ScanArtifactParams{
		ProjectName: project, RepositoryName: escapeRepo(repo), Reference: reference,
		ScanType: &models.ScanType{ScanType: "vulnerability"},
	})
	if err != nil {
		return wrap(fmt.Sprintf("scanning %s/%s:%s", project, repo, reference), err, map[int]string{
			404: "no such artifact: push it first, or check project, repository and tag/digest",
			422: "Harbor has no scanner for this project: add one under Interrogation Services (e.g. Trivy)",
		})
	}
	c.log.Info("harbor scan triggered", "project", project, "repository", repo, "reference", reference)
	return nil
}

// ScanOverview reads the scan summary of project/repo at reference.
func (c *Client) ScanOverview(ctx context.Context, project, repo, reference string) (Overview, error) {
	if err := checkArtifact(project, repo, reference); err != nil {
		return Overview{}, err
	}
	yes := true
	res, err := c.artifacts.GetArtifact(ctx, &artifact.GetArtifactParams{
		ProjectName: project, RepositoryName: escapeRepo(repo), Reference: reference, WithScanOverview: &yes,
	})
	if err != nil {
		return Overview{}, wrap(fmt.Sprintf("reading scan of %s/%s:%s", project, repo, reference), err, map[int]string{
			404: "no such artifact: push it first, or check project, repository and tag/digest",
		})
	}
	return overview(res.Payload.ScanOverview), nil
}

func overview(so models.ScanOverview) Overview {
	if len(so) == 0 {
		return Overview{Status: StatusNotScanned}
	}
	keys := append([]string(nil), reportTypes...)
	var rest []string
	for k := range so {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	var s models.NativeReportSummary
	for _, k := range append(keys, rest...) {
		if r, ok := so[k]; ok {
			s = r
			break
		}
	}
	o := Overview{
		Status: s.ScanStatus, Severity: s.Severity, CompletePercent: s.CompletePercent, ReportID: s.ReportID,
		Start: time.Time(s.StartTime), End: time.Time(s.EndTime),
	}
	if s.Scanner != nil {
		o.Scanner = s.Scanner.Name + " " + s.Scanner.Version
	}
	if s.Summary != nil {
		o.Total, o.Fixable, o.Counts = s.Summary.Total, s.Summary.Fixable, s.Summary.Summary
	}
	return o
}

// escapeRepo encodes a repository name once; go-client encodes it again, and
// Harbor wants "a/b" as a%252Fb.
func escapeRepo(repo string) string { return url.PathEscape(repo) }

func checkArtifact(project, repo, reference string) error {
	if err := checkProjectName(project); err != nil {
		return err
	}
	if repo == "" || reference == "" {
		return fmt.Errorf("harbor artifact %s/%s:%s: give a repository (e.g. models/diamonds) and a tag or digest", project, repo, reference)
	}
	return nil
}
