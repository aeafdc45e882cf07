package lineage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Kind says which of a model's two trainings a record describes.
type Kind string

// The model kinds a pipeline trains and compares.
const (
	Baseline  Kind = "baseline"
	Candidate Kind = "candidate"
)

// Record is the lineage of one trained model. The fields up to ModelKind are known when
// the model is trained and registered; the later-stage fields are filled as the image is
// built, signed and scanned, and stay empty until then. No field holds a secret: URLs
// lose their credentials in Normalize and in Tags.
type Record struct {
	GitSHA          string `json:"git_sha"`          // full commit id (40 or 64 hex)
	Branch          string `json:"git_branch"`       // branch name, without refs/heads/
	RepositoryURL   string `json:"repository_url"`   // without credentials
	CIRunURL        string `json:"ci_run_url"`       // the CI run that trained the model
	PipelineVersion string `json:"pipeline_version"` // version of this pipeline (ferry)

	DataFiles []FileHash `json:"data_files"`  // SHA-256 of each training data file, by name
	DataHash  string     `json:"data_sha256"` // Combine(DataFiles); computed by Normalize when empty

	TrainingImageDigest string `json:"training_image_digest"` // sha256:<hex> of the training image
	RequirementsHash    string `json:"requirements_sha256"`   // SHA-256 hex of the lock file
	ModelName           string `json:"model_name"`            // e.g. "diamonds"
	ModelKind           Kind   `json:"model_kind"`            // Baseline or Candidate

	ServingImageDigest string `json:"serving_image_digest,omitempty"` // sha256:<hex> of the serving image
	SignatureDigest    string `json:"signature_digest,omitempty"`     // sha256:<hex> of the image signature
	SBOMDigest         string `json:"sbom_digest,omitempty"`          // sha256:<hex> of the SBOM attestation
	MLflowRunID        string `json:"mlflow_run_id,omitempty"`        // run that logged the model
	MLflowVersion      string `json:"mlflow_model_version,omitempty"` // registered model version
}

// New returns r normalized (see Normalize) and an error from Validate, if any.
func New(r Record) (Record, error) {
	r = r.Normalize()
	return r, r.Validate()
}

// Normalize returns r in canonical form: spaces trimmed, hex and digests lowercased,
// refs/heads/ dropped from Branch, credentials, queries and fragments dropped from the URLs,
// DataFiles sorted by name, and DataHash computed from DataFiles when it is empty.
func (r Record) Normalize() Record {
	trim := func(s ...*string) {
		for _, p := range s {
			*p = strings.TrimSpace(*p)
		}
	}
	trim(&r.GitSHA, &r.Branch, &r.PipelineVersion, &r.DataHash, &r.TrainingImageDigest,
		&r.RequirementsHash, &r.ModelName, &r.ServingImageDigest, &r.SignatureDigest,
		&r.SBOMDigest, &r.MLflowRunID, &r.MLflowVersion)
	for _, p := range []*string{&r.GitSHA, &r.DataHash, &r.TrainingImageDigest, &r.RequirementsHash,
		&r.ServingImageDigest, &r.SignatureDigest, &r.SBOMDigest} {
		*p = strings.ToLower(*p)
	}
	r.Branch = strings.TrimPrefix(r.Branch, "refs/heads/")
	r.RepositoryURL, r.CIRunURL = StripCredentials(r.RepositoryURL), StripCredentials(r.CIRunURL)
	r.ModelKind = Kind(strings.ToLower(strings.TrimSpace(string(r.ModelKind))))
	if r.DataFiles != nil {
		files := make([]FileHash, len(r.DataFiles))
		for i, f := range r.DataFiles {
			files[i] = FileHash{Name: f.Name, SHA256: strings.ToLower(strings.TrimSpace(f.SHA256))}
		}
		sortFiles(files)
		r.DataFiles = files
		if r.DataHash == "" && len(files) > 0 {
			r.DataHash = Combine(files)
		}
	}
	return r
}

// maxTagValue is MLflow's limit on a run tag value (MAX_TAG_VAL_LENGTH).
const maxTagValue = 8000

// Validate checks that r identifies its inputs: a git sha and a data hash at least, and
// well-formed hashes, digests, model name and kind. Each problem is reported with the
// field it concerns and how to supply it; all of them are joined in one error.
func (r Record) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("lineage: "+format, a...)) }
	switch {
	case r.GitSHA == "":
		bad("git sha (GitSHA) is missing: pass the full id of the commit being built (git rev-parse HEAD; $GITHUB_SHA or $CI_COMMIT_SHA in CI)")
	case !isHex(r.GitSHA, 40) && !isHex(r.GitSHA, 64):
		bad("git sha (GitSHA) %q is not a full commit id of 40 or 64 hex digits: pass git rev-parse HEAD, not a short or symbolic name", r.GitSHA)
	}
	switch {
	case r.DataHash == "" && len(r.DataFiles) == 0:
		bad("data hash (DataFiles, DataHash) is missing: hash the training data with lineage.HashFiles(paths...) or lineage.HashDir(os.DirFS(dir)) and set DataFiles")
	case r.DataHash != "" && !isHex(r.DataHash, 64):
		bad("data hash (DataHash) %q is not 64 hex digits: leave it empty and set DataFiles, so it is computed", r.DataHash)
	case r.DataHash != "" && len(r.DataFiles) > 0 && r.DataHash != Combine(r.DataFiles):
		bad("data hash (DataHash) %s does not match DataFiles (%s): leave it empty so it is computed from DataFiles", r.DataHash, Combine(r.DataFiles))
	}
	for _, f := range r.DataFiles {
		switch {
		case f.Name == "" || strings.ContainsAny(f.Name, "\n\r"):
			bad("data file name %q is empty or spans lines: name files as HashFiles and HashDir do", f.Name)
		case !isHex(strings.ToLower(f.SHA256), 64):
			bad("data file %s: hash %q is not 64 hex digits: use lineage.HashFiles or HashDir", f.Name, f.SHA256)
		}
	}
	if names := fileNames(r.DataFiles); len(slices.Compact(names)) != len(r.DataFiles) {
		bad("data files (DataFiles) name a file twice: hash each file once")
	}
	if n := len(Manifest(r.DataFiles)); n > maxTagValue {
		bad("data files (DataFiles) make a %d-byte manifest, over MLflow's %d-byte tag limit: hash fewer, larger files (an archive of the data)", n, maxTagValue)
	}
	if r.RequirementsHash != "" && !isHex(r.RequirementsHash, 64) {
		bad("requirements hash (RequirementsHash) %q is not 64 hex digits: use lineage.HashFile(\"requirements.lock\")", r.RequirementsHash)
	}
	for _, d := range []struct{ field, value string }{
		{"training image digest (TrainingImageDigest)", r.TrainingImageDigest},
		{"serving image digest (ServingImageDigest)", r.ServingImageDigest},
		{"signature digest (SignatureDigest)", r.SignatureDigest},
		{"SBOM digest (SBOMDigest)", r.SBOMDigest},
	} {
		if d.value != "" && !isDigest(d.value) {
			bad("%s %q is not sha256:<64 hex>: pass the digest of what was pushed (crane digest, skopeo inspect), not a tag", d.field, d.value)
		}
	}
	if r.ModelName == "" || strings.ContainsAny(r.ModelName, "\n\r") {
		bad("model name (ModelName) %q is missing or spans lines: set it to the model's folder name under models/, e.g. diamonds", r.ModelName)
	}
	if r.ModelKind != Baseline && r.ModelKind != Candidate {
		bad("model kind (ModelKind) %q is not %q or %q: set it to the kind train.py was run with (--model)", r.ModelKind, Baseline, Candidate)
	}
	if r.MLflowVersion != "" {
		if n, err := strconv.ParseUint(r.MLflowVersion, 10, 64); err != nil || n == 0 {
			bad("MLflow model version (MLflowVersion) %q is not a positive number", r.MLflowVersion)
		}
	}
	for _, v := range []struct{ field, value string }{
		{"branch (Branch)", r.Branch}, {"repository URL (RepositoryURL)", r.RepositoryURL},
		{"CI run URL (CIRunURL)", r.CIRunURL}, {"pipeline version (PipelineVersion)", r.PipelineVersion},
		{"MLflow run id (MLflowRunID)", r.MLflowRunID},
	} {
		if strings.ContainsAny(v.value, "\n\r") || len(v.value) > 1000 {
			bad("%s spans lines or is over 1000 bytes: pass a single-line value", v.field)
		}
	}
	return errors.Join(errs...)
}

// keyVersion names how Key is computed; a change of inputs or encoding gets a new one.
const keyVersion = "ferry.lineage.key/v1"

// Key identifies "the same inputs": two trainings with equal keys used the same commit,
// data, requirements and training image to train the same kind of model, so registering
// either one again must reuse what the first registered. It is the lowercase hex SHA-256
// of keyVersion and those five fields, one "name=value" line each, after Normalize.
func (r Record) Key() string {
	n := r.Normalize()
	s := fmt.Sprintf("%s\ngit_sha=%s\ndata_sha256=%s\nrequirements_sha256=%s\ntraining_image_digest=%s\nmodel_kind=%s\n",
		keyVersion, n.GitSHA, n.DataHash, n.RequirementsHash, n.TrainingImageDigest, n.ModelKind)
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func isDigest(s string) bool {
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	return ok && isHex(hexPart, 64)
}

func fileNames(files []FileHash) []string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	slices.Sort(names)
	return names
}
