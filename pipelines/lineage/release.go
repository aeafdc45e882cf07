package lineage

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ReleaseType is the in-toto predicate type of a Release attestation.
const ReleaseType = "https://ferry.dev/attestations/lineage/v1"

// Release is the lineage record attested to a released serving image: which
// commit, data and MLflow version it serves, which image it is, and what the
// vulnerability scan said of it. Deploys read it back from the attestation.
type Release struct {
	GitSHA        string `json:"git_sha"`              // commit the model was trained from
	DataHash      string `json:"data_sha256"`          // SHA-256 of the training data
	ModelName     string `json:"model_name"`           // registered model name
	ModelVersion  string `json:"model_version"`        // the model's own version label
	MLflowRunID   string `json:"mlflow_run_id"`        // run that logged the model
	MLflowVersion string `json:"mlflow_model_version"` // registered model version
	Image         string `json:"image"`                // registry/repository@sha256:…
	ImageDigest   string `json:"image_digest"`         // sha256:<hex>
	Scan          Scan   `json:"scan"`
}

// Scan is the verdict of the image's vulnerability scan.
type Scan struct {
	Passed   bool           `json:"passed"`
	Database string         `json:"database"` // repository@sha256:… of the vulnerability DB
	Counts   map[string]int `json:"counts,omitempty"`
}

var (
	hex40or64 = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
	digestRe  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// Validate says which fields are missing or malformed, all at once.
func (r Release) Validate() error {
	var errs []error
	if !hex40or64.MatchString(r.GitSHA) {
		errs = append(errs, fmt.Errorf("git_sha %q: want a full commit id (40 or 64 lowercase hex)", r.GitSHA))
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(r.DataHash) {
		errs = append(errs, fmt.Errorf("data_sha256 %q: want 64 lowercase hex", r.DataHash))
	}
	for name, v := range map[string]string{"model_name": r.ModelName, "mlflow_run_id": r.MLflowRunID, "mlflow_model_version": r.MLflowVersion} {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is empty", name))
		}
	}
	if !digestRe.MatchString(r.ImageDigest) {
		errs = append(errs, fmt.Errorf("image_digest %q: want sha256:<64 hex>", r.ImageDigest))
	} else if !strings.HasSuffix(r.Image, "@"+r.ImageDigest) {
		errs = append(errs, fmt.Errorf("image %q is not pinned by image_digest %s", r.Image, r.ImageDigest))
	}
	if !strings.Contains(r.Scan.Database, "@sha256:") {
		errs = append(errs, fmt.Errorf("scan.database %q: want repository@sha256:… (the exact DB scanned against)", r.Scan.Database))
	}
	if len(errs) > 0 {
		return fmt.Errorf("release record: %w", errors.Join(errs...))
	}
	return nil
}
