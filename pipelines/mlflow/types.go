package mlflow

import (
	"sort"
	"strconv"
)

// Tag is a key/value pair on an experiment, run, registered model or model version.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Tags turns a map into tags sorted by key, for stable requests.
func Tags(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// TagMap turns tags into a map; a later duplicate key wins.
func TagMap(tags []Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// Param is a run parameter. MLflow refuses to change a logged parameter's value.
type Param struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Metric is one value of a run metric; Timestamp is in Unix milliseconds.
type Metric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
}

// Experiment groups runs.
type Experiment struct {
	ID               string `json:"experiment_id"`
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location"`
	LifecycleStage   string `json:"lifecycle_stage"`
	CreationTime     int64  `json:"creation_time"`
	LastUpdateTime   int64  `json:"last_update_time"`
	Tags             []Tag  `json:"tags"`
}

// RunStatus is the state of a run.
type RunStatus string

// Run states, from service.proto RunStatus.
const (
	RunRunning   RunStatus = "RUNNING"
	RunScheduled RunStatus = "SCHEDULED"
	RunFinished  RunStatus = "FINISHED"
	RunFailed    RunStatus = "FAILED"
	RunKilled    RunStatus = "KILLED"
)

// RunInfo is a run's metadata. ArtifactURI is where its artifacts live, e.g.
// "mlflow-artifacts:/1/<run id>/artifacts" when the server proxies artifacts.
type RunInfo struct {
	RunID          string    `json:"run_id"`
	RunName        string    `json:"run_name"`
	ExperimentID   string    `json:"experiment_id"`
	UserID         string    `json:"user_id"`
	Status         RunStatus `json:"status"`
	StartTime      int64     `json:"start_time"`
	EndTime        int64     `json:"end_time"`
	ArtifactURI    string    `json:"artifact_uri"`
	LifecycleStage string    `json:"lifecycle_stage"`
}

// RunData holds the latest value of each metric, and every param and tag.
type RunData struct {
	Metrics []Metric `json:"metrics"`
	Params  []Param  `json:"params"`
	Tags    []Tag    `json:"tags"`
}

// Run is a run with its data.
type Run struct {
	Info RunInfo `json:"info"`
	Data RunData `json:"data"`
}

// Tag returns the value of the run tag key.
func (r *Run) Tag(key string) (string, bool) {
	v, ok := TagMap(r.Data.Tags)[key]
	return v, ok
}

// Param returns the value of the run parameter key.
func (r *Run) Param(key string) (string, bool) {
	for _, p := range r.Data.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Metric returns the latest value of the run metric key.
func (r *Run) Metric(key string) (float64, bool) {
	for _, m := range r.Data.Metrics {
		if m.Key == key {
			return m.Value, true
		}
	}
	return 0, false
}

// Alias names one version of a registered model.
type Alias struct {
	Alias   string `json:"alias"`
	Version string `json:"version"`
}

// RegisteredModel is a named model in the registry.
type RegisteredModel struct {
	Name                 string         `json:"name"`
	Description          string         `json:"description"`
	CreationTimestamp    int64          `json:"creation_timestamp"`
	LastUpdatedTimestamp int64          `json:"last_updated_timestamp"`
	LatestVersions       []ModelVersion `json:"latest_versions"`
	Tags                 []Tag          `json:"tags"`
	Aliases              []Alias        `json:"aliases"`
}

// ModelVersionStatus is the registration state of a model version.
type ModelVersionStatus string

// Model version states, from model_registry.proto ModelVersionStatus.
const (
	VersionPending ModelVersionStatus = "PENDING_REGISTRATION"
	VersionFailed  ModelVersionStatus = "FAILED_REGISTRATION"
	VersionReady   ModelVersionStatus = "READY"
)

// ModelVersion is one version of a registered model. Version is a decimal string.
type ModelVersion struct {
	Name                 string             `json:"name"`
	Version              string             `json:"version"`
	Source               string             `json:"source"`
	RunID                string             `json:"run_id"`
	RunLink              string             `json:"run_link"`
	Description          string             `json:"description"`
	Status               ModelVersionStatus `json:"status"`
	StatusMessage        string             `json:"status_message"`
	CreationTimestamp    int64              `json:"creation_timestamp"`
	LastUpdatedTimestamp int64              `json:"last_updated_timestamp"`
	Tags                 []Tag              `json:"tags"`
	Aliases              []string           `json:"aliases"`
}

// Tag returns the value of the version tag key.
func (v *ModelVersion) Tag(key string) (string, bool) {
	val, ok := TagMap(v.Tags)[key]
	return val, ok
}

// number is the version as an integer, for ordering; 0 when it is not a number.
func (v *ModelVersion) number() int64 {
	n, _ := strconv.ParseInt(v.Version, 10, 64)
	return n
}

// Search selects entities in the Search* methods.
type Search struct {
	Filter  string   // MLflow filter expression, e.g. "tags.stage = 'prod'"; "" matches all
	OrderBy []string // e.g. "attributes.start_time DESC"
	Limit   int      // stop after this many; 0 returns every match
}
