package lineage

import (
	"strings"
	"testing"
)

func goodRelease() Release {
	d := "sha256:" + strings.Repeat("ab", 32)
	return Release{
		GitSHA: strings.Repeat("1", 40), DataHash: strings.Repeat("2", 64),
		ModelName: "diamonds", ModelVersion: "candidate-123", MLflowRunID: "r1", MLflowVersion: "3",
		Image: "registry:5000/ferry/diamonds@" + d, ImageDigest: d,
		Scan: Scan{Passed: true, Database: "ghcr.io/aquasecurity/trivy-db@sha256:" + strings.Repeat("c", 64)},
	}
}

func TestReleaseValidate(t *testing.T) {
	if err := goodRelease().Validate(); err != nil {
		t.Fatalf("Validate(good) = %v, want nil", err)
	}
	tests := []struct {
		name  string
		edit  func(*Release)
		field string
	}{
		{"short sha", func(r *Release) { r.GitSHA = "abc" }, "git_sha"},
		{"no data hash", func(r *Release) { r.DataHash = "" }, "data_sha256"},
		{"no run", func(r *Release) { r.MLflowRunID = " " }, "mlflow_run_id"},
		{"tag not digest", func(r *Release) { r.Image = "registry:5000/ferry/diamonds:v1" }, "not pinned"},
		{"bad digest", func(r *Release) { r.ImageDigest = "sha256:zz" }, "image_digest"},
		{"db by tag", func(r *Release) { r.Scan.Database = "ghcr.io/aquasecurity/trivy-db:2" }, "scan.database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRelease()
			tt.edit(&r)
			err := r.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tt.field)
			}
		})
	}
}
