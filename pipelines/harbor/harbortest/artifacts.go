package harbortest

import (
	"fmt"
	"net/http"
	"time"
)

// ReportType is the scan_overview key the fake reports under: Harbor's
// current vulnerability report MIME type.
const ReportType = "application/vnd.security.vulnerability.report; version=1.1"

// Scan statuses, in the order a scan passes through them.
const (
	StatusPending = "Pending"
	StatusRunning = "Running"
	StatusSuccess = "Success"
)

// severities orders Harbor's severities, most severe first.
var severities = []string{"Critical", "High", "Medium", "Low", "Unknown"}

// Findings is what a scan of an artifact will report.
type Findings struct {
	Counts  map[string]int64 // by severity: Critical, High, Medium, Low, Unknown
	Fixable int64
}

type artifact struct {
	Artifact
	findings Findings
	scan     *ReportSummary // nil until a scan is triggered
}

// AddArtifact puts an artifact into project/repository, as a push would; a
// scan of it will report findings. The project must exist.
func (s *Server) AddArtifact(projectName, repository, digest string, tags []string, findings Findings) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[projectName]
	if !ok {
		return fmt.Errorf("harbortest: project %q does not exist", projectName)
	}
	key := projectName + "/" + repository
	a := &artifact{findings: findings, Artifact: Artifact{
		ID: s.id(), Type: "IMAGE", MediaType: "application/vnd.oci.image.config.v1+json",
		ManifestMediaType: "application/vnd.oci.image.manifest.v1+json", ProjectID: p.ProjectID,
		RepositoryID: p.ProjectID*1000 + int64(len(s.artifacts[key])+1), RepositoryName: key,
		Digest: digest, Size: 1024, PushTime: now(),
	}}
	for _, t := range tags {
		a.Tags = append(a.Tags, Tag{ID: s.id(), RepositoryID: a.RepositoryID, ArtifactID: a.ID, Name: t, PushTime: a.PushTime})
	}
	if len(s.artifacts[key]) == 0 {
		p.RepoCount++
	}
	s.artifacts[key] = append(s.artifacts[key], a)
	return nil
}

func (s *Server) findArtifact(w http.ResponseWriter, params map[string]string) *artifact {
	key := params["project_name"] + "/" + params["repository_name"]
	for _, a := range s.artifacts[key] {
		if a.Digest == params["reference"] {
			return a
		}
		for _, t := range a.Tags {
			if t.Name == params["reference"] {
				return a
			}
		}
	}
	writeError(w, http.StatusNotFound, "NOT_FOUND", "artifact %s:%s not found", key, params["reference"])
	return nil
}

// scanArtifact queues a scan: the next reads show it Pending, then Running,
// then Success with the artifact's findings.
func (s *Server) scanArtifact(w http.ResponseWriter, _ *http.Request, params map[string]string, body []byte) {
	if len(body) > 0 {
		var st ScanType
		if !decode(w, body, &st) {
			return
		}
		if st.ScanType != "" && st.ScanType != "vulnerability" && st.ScanType != "sbom" {
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "scan_type %q is not vulnerability or sbom", st.ScanType)
			return
		}
	}
	a := s.findArtifact(w, params)
	if a == nil {
		return
	}
	start := now()
	a.scan = &ReportSummary{ReportID: fmt.Sprintf("report-%d", s.id()), ScanStatus: StatusPending, StartTime: &start,
		Scanner: &Scanner{Name: "Trivy", Vendor: "Aqua Security", Version: "v0.74.0"}}
	w.WriteHeader(http.StatusAccepted)
}

// getArtifact answers the artifact; with_scan_overview=true adds the scan's
// state and moves the scan one step on.
func (s *Server) getArtifact(w http.ResponseWriter, r *http.Request, params map[string]string, _ []byte) {
	a := s.findArtifact(w, params)
	if a == nil {
		return
	}
	out := a.Artifact
	if r.URL.Query().Get("with_tag") == "false" {
		out.Tags = nil
	}
	if out.Tags == nil {
		out.Tags = []Tag{}
	}
	if r.URL.Query().Get("with_scan_overview") == "true" && a.scan != nil {
		out.ScanOverview = map[string]ReportSummary{ReportType: *a.scan}
		a.advance()
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *artifact) advance() {
	sc := a.scan
	switch sc.ScanStatus {
	case StatusPending:
		sc.ScanStatus, sc.CompletePercent = StatusRunning, 50
	case StatusRunning:
		end := sc.StartTime.Add(3 * time.Second)
		sc.ScanStatus, sc.CompletePercent, sc.EndTime, sc.Duration = StatusSuccess, 100, &end, 3
		sum := &VulnerabilitySummary{Fixable: a.findings.Fixable, Summary: map[string]int64{}}
		sc.Severity = "None"
		for _, sev := range severities {
			if n := a.findings.Counts[sev]; n > 0 {
				sum.Summary[sev] = n
				sum.Total += n
				if sc.Severity == "None" {
					sc.Severity = sev
				}
			}
		}
		sc.Summary = sum
	}
}
