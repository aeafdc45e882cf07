package lineage

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Prefix starts every lineage tag key.
const Prefix = "ferry.lineage."

// The lineage tag keys. They are part of the pipeline's contract — queries, dashboards and
// later stages read them — so they never change: a new field gets a new key.
const (
	TagKey                 = Prefix + "key"                   // Record.Key(): the idempotency key
	TagGitSHA              = Prefix + "git_sha"               // full commit id
	TagBranch              = Prefix + "git_branch"            // branch name
	TagRepositoryURL       = Prefix + "repository_url"        // repository, without credentials
	TagCIRunURL            = Prefix + "ci_run_url"            // CI run that trained the model
	TagPipelineVersion     = Prefix + "pipeline_version"      // version of the pipeline
	TagDataHash            = Prefix + "data_sha256"           // Combine(DataFiles)
	TagDataFiles           = Prefix + "data_files"            // Manifest(DataFiles): "<sha256>  <name>" lines
	TagTrainingImageDigest = Prefix + "training_image_digest" // sha256:<hex>
	TagRequirementsHash    = Prefix + "requirements_sha256"   // SHA-256 of the lock file
	TagModelName           = Prefix + "model_name"            // e.g. diamonds
	TagModelKind           = Prefix + "model_kind"            // baseline or candidate
	TagServingImageDigest  = Prefix + "serving_image_digest"  // later stage: sha256:<hex>
	TagSignatureDigest     = Prefix + "signature_digest"      // later stage: sha256:<hex>
	TagSBOMDigest          = Prefix + "sbom_digest"           // later stage: sha256:<hex>
	TagMLflowRunID         = Prefix + "mlflow_run_id"         // later stage: run that logged the model
	TagMLflowVersion       = Prefix + "mlflow_model_version"  // later stage: registered version
)

// fields maps each tag key but TagKey and TagDataFiles to its Record field.
func (r *Record) fields() map[string]*string {
	return map[string]*string{
		TagGitSHA: &r.GitSHA, TagBranch: &r.Branch, TagRepositoryURL: &r.RepositoryURL,
		TagCIRunURL: &r.CIRunURL, TagPipelineVersion: &r.PipelineVersion, TagDataHash: &r.DataHash,
		TagTrainingImageDigest: &r.TrainingImageDigest, TagRequirementsHash: &r.RequirementsHash,
		TagModelName: &r.ModelName, TagModelKind: (*string)(&r.ModelKind),
		TagServingImageDigest: &r.ServingImageDigest, TagSignatureDigest: &r.SignatureDigest,
		TagSBOMDigest: &r.SBOMDigest, TagMLflowRunID: &r.MLflowRunID, TagMLflowVersion: &r.MLflowVersion,
	}
}

// TagKeys lists every lineage tag key, sorted.
func TagKeys() []string {
	var r Record
	keys := append(slices.Collect(maps.Keys(r.fields())), TagKey, TagDataFiles)
	slices.Sort(keys)
	return keys
}

// Tags renders the normalized record as MLflow tags: one per non-empty field, plus TagKey.
// URLs are stripped of credentials here too, whatever the record holds.
func (r Record) Tags() map[string]string {
	n := r.Normalize()
	out := map[string]string{TagKey: n.Key()}
	for k, p := range n.fields() {
		if *p != "" {
			out[k] = *p
		}
	}
	if len(n.DataFiles) > 0 {
		out[TagDataFiles] = Manifest(n.DataFiles)
	}
	return out
}

// FromTags reads a record from tags written by Tags; other tags are ignored, and so are
// lineage keys it does not know (written by a newer pipeline). It fails when TagDataFiles
// is malformed or TagKey does not match the record read.
func FromTags(tags map[string]string) (Record, error) {
	var r Record
	for k, p := range r.fields() {
		*p = tags[k]
	}
	if m, ok := tags[TagDataFiles]; ok && m != "" {
		files, err := parseManifest(m)
		if err != nil {
			return Record{}, fmt.Errorf("reading lineage tag %s: %w", TagDataFiles, err)
		}
		r.DataFiles = files
	}
	r = r.Normalize()
	if key, ok := tags[TagKey]; ok && key != r.Key() {
		return Record{}, fmt.Errorf("reading lineage tags: %s is %s but the other tags give %s; the tags were edited by hand", TagKey, key, r.Key())
	}
	return r, nil
}

// KeyTags lists the tags that Key is computed from, with TagKey itself: they are set when
// a model is registered and never change afterwards.
func KeyTags() []string {
	return []string{TagKey, TagGitSHA, TagDataHash, TagDataFiles, TagRequirementsHash, TagTrainingImageDigest, TagModelKind}
}

// ValidateTag checks one lineage tag that a later stage adds (a digest, a run id, a
// version): key must be one of TagKeys but TagKey and TagDataFiles, and value must be
// well-formed for it, as Validate would find it.
func ValidateTag(key, value string) error {
	if key == TagKey || key == TagDataFiles {
		return fmt.Errorf("lineage: tag %s is computed from the record: set the record's fields instead", key)
	}
	// A record valid but for the one field: Validate then speaks only of that field.
	r := Record{GitSHA: strings.Repeat("0", 40), DataHash: strings.Repeat("0", 64), ModelName: "m", ModelKind: Baseline}
	p, ok := r.fields()[key]
	if !ok {
		return fmt.Errorf("lineage: tag %s is not a lineage tag: use one of the lineage.Tag* keys", key)
	}
	*p = value
	if err := r.Normalize().Validate(); err != nil {
		return fmt.Errorf("tag %s: %w", key, err)
	}
	return nil
}
