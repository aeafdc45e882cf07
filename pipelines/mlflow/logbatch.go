package mlflow

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
)

// Batch is what LogBatch records on a run.
type Batch struct {
	Metrics []Metric // a zero Timestamp means now
	Params  []Param
	Tags    []Tag
}

type logBatchRequest struct {
	RunID   string   `json:"run_id"`
	Metrics []Metric `json:"metrics,omitempty"`
	Params  []Param  `json:"params,omitempty"`
	Tags    []Tag    `json:"tags,omitempty"`
}

// Per-request limits of runs/log-batch (mlflow/utils/validation.py).
const (
	maxMetricsPerBatch  = 1000
	maxParamsTagsPerReq = 100
	maxEntitiesPerBatch = 1000
)

// LogBatch records metrics, params and tags on a run, split into as many requests as
// MLflow's per-request limits need. Retrying is safe: timestamps are fixed before the
// first attempt, the server drops a metric identical to one already logged, accepts a
// param logged again with the same value and overwrites tags.
func (c *Client) LogBatch(ctx context.Context, runID string, b Batch) error {
	now := time.Now().UnixMilli()
	metrics := append([]Metric(nil), b.Metrics...)
	for i := range metrics {
		if metrics[i].Timestamp == 0 {
			metrics[i].Timestamp = now
		}
	}
	params, tags := b.Params, b.Tags
	for len(metrics)+len(params)+len(tags) > 0 {
		req := logBatchRequest{RunID: runID}
		req.Params, params = split(params, maxParamsTagsPerReq)
		req.Tags, tags = split(tags, maxParamsTagsPerReq)
		room := min(maxMetricsPerBatch, maxEntitiesPerBatch-len(req.Params)-len(req.Tags))
		req.Metrics, metrics = split(metrics, room)
		if err := c.do(ctx, &call{ep: epLogBatch, req: req}); err != nil {
			return fmt.Errorf("logging to run %s: %w", runID, err)
		}
	}
	return nil
}

func split[T any](s []T, n int) (head, rest []T) {
	if len(s) <= n {
		return s, nil
	}
	return s[:n], s[n:]
}

// LogMetrics records metric values at one step, timestamped now.
func (c *Client) LogMetrics(ctx context.Context, runID string, step int64, values map[string]float64) error {
	ms := make([]Metric, 0, len(values))
	for _, k := range slices.Sorted(maps.Keys(values)) {
		ms = append(ms, Metric{Key: k, Value: values[k], Step: step})
	}
	return c.LogBatch(ctx, runID, Batch{Metrics: ms})
}

// LogParams records run parameters.
func (c *Client) LogParams(ctx context.Context, runID string, params map[string]string) error {
	ps := make([]Param, 0, len(params))
	for _, t := range Tags(params) {
		ps = append(ps, Param(t))
	}
	return c.LogBatch(ctx, runID, Batch{Params: ps})
}

// SetRunTags sets (or overwrites) tags on a run.
func (c *Client) SetRunTags(ctx context.Context, runID string, tags ...Tag) error {
	return c.LogBatch(ctx, runID, Batch{Tags: tags})
}

type deleteTagRequest struct {
	RunID string `json:"run_id"`
	Key   string `json:"key"`
}

// DeleteRunTag removes a tag from a run; IsNotFound(err) if the run has no such tag.
func (c *Client) DeleteRunTag(ctx context.Context, runID, key string) error {
	if err := c.do(ctx, &call{ep: epDeleteTag, req: deleteTagRequest{runID, key}}); err != nil {
		return fmt.Errorf("deleting tag %q of run %s: %w", key, runID, err)
	}
	return nil
}

// metricWire is Metric on the wire: proto3 JSON writes non-finite doubles as strings.
type metricWire struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	Timestamp int64           `json:"timestamp"`
	Step      int64           `json:"step"`
}

// MarshalJSON writes NaN and ±Inf as "NaN", "Infinity" and "-Infinity", as proto3 JSON does.
func (m Metric) MarshalJSON() ([]byte, error) {
	var v string
	switch {
	case math.IsNaN(m.Value):
		v = `"NaN"`
	case math.IsInf(m.Value, 1):
		v = `"Infinity"`
	case math.IsInf(m.Value, -1):
		v = `"-Infinity"`
	default:
		v = strconv.FormatFloat(m.Value, 'g', -1, 64)
	}
	return json.Marshal(metricWire{m.Key, json.RawMessage(v), m.Timestamp, m.Step})
}

// UnmarshalJSON reads a value written as a number or as a proto3 JSON string.
func (m *Metric) UnmarshalJSON(b []byte) error {
	var w metricWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Metric{Key: w.Key, Timestamp: w.Timestamp, Step: w.Step}
	if len(w.Value) == 0 || string(w.Value) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(w.Value, &s) == nil {
		f, err := strconv.ParseFloat(s, 64) // accepts "NaN", "Infinity", "-Infinity"
		if err != nil {
			return fmt.Errorf("metric %q: value %q: %w", w.Key, s, err)
		}
		m.Value = f
		return nil
	}
	return json.Unmarshal(w.Value, &m.Value)
}
