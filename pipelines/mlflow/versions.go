package mlflow

import (
	"context"
	"fmt"
	"time"
)

// ModelVersionSpec describes a model version to register.
type ModelVersionSpec struct {
	Name        string // registered model name; the model must exist (EnsureRegisteredModel)
	Source      string // artifact URI of the model, inside the run's artifact URI when RunID is set
	RunID       string // run that produced the model, or ""
	RunLink     string // link to the run or pipeline that produced it, or ""
	Description string
	Tags        []Tag
}

type createModelVersionRequest struct {
	Name        string `json:"name"`
	Source      string `json:"source"`
	RunID       string `json:"run_id,omitempty"`
	RunLink     string `json:"run_link,omitempty"`
	Description string `json:"description,omitempty"`
	Tags        []Tag  `json:"tags,omitempty"`
}

type modelVersionResponse struct {
	ModelVersion ModelVersion `json:"model_version"`
}

// CreateModelVersion registers a new version of a model. Like CreateRun it tags what it
// creates with RequestIDTag, so a retry after a lost attempt returns that version instead
// of registering a second one. Each call registers a new version: to register a run's
// model once however often the pipeline runs, use EnsureModelVersion.
func (c *Client) CreateModelVersion(ctx context.Context, spec ModelVersionSpec) (*ModelVersion, error) {
	id := newRequestID()
	req := createModelVersionRequest{
		Name: spec.Name, Source: spec.Source, RunID: spec.RunID, RunLink: spec.RunLink,
		Description: spec.Description,
		Tags:        append(append([]Tag(nil), spec.Tags...), Tag{RequestIDTag, id}),
	}
	var out modelVersionResponse
	findLost := func(ctx context.Context) (bool, error) {
		filter := fmt.Sprintf("name = %s AND tags.`%s` = %s", quote(spec.Name), RequestIDTag, quote(id))
		page, err := c.searchVersionsPage(ctx, searchRequest{Filter: filter, MaxResults: 2}, true)
		if err != nil || len(page.ModelVersions) == 0 {
			return false, err
		}
		out.ModelVersion = page.ModelVersions[0]
		return true, nil
	}
	if err := c.do(ctx, &call{ep: epCreateModelVersion, req: req, out: &out, recover: findLost}); err != nil {
		return nil, fmt.Errorf("creating model version of %q: %w", spec.Name, err)
	}
	return &out.ModelVersion, nil
}

// EnsureModelVersion returns the version of spec.Name already registered from spec.RunID
// with the same spec.Source (the lowest-numbered one if there are several; failed
// registrations do not count), or registers it. It searches, then creates: two pipelines racing on the same run may still register
// two versions, but one pipeline retried any number of times registers one.
func (c *Client) EnsureModelVersion(ctx context.Context, spec ModelVersionSpec) (*ModelVersion, error) {
	filter := "name = " + quote(spec.Name)
	if spec.RunID != "" {
		filter += " AND run_id = " + quote(spec.RunID)
	}
	versions, err := c.SearchModelVersions(ctx, Search{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("looking for model version of %q from %q: %w", spec.Name, spec.Source, err)
	}
	var found *ModelVersion
	for i, v := range versions {
		if v.Source == spec.Source && v.RunID == spec.RunID && v.Status != VersionFailed &&
			(found == nil || v.number() < found.number()) {
			found = &versions[i]
		}
	}
	if found != nil {
		return found, nil
	}
	return c.CreateModelVersion(ctx, spec)
}

type getModelVersionRequest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// GetModelVersion returns one version of a registered model.
func (c *Client) GetModelVersion(ctx context.Context, name, version string) (*ModelVersion, error) {
	var out modelVersionResponse
	if err := c.do(ctx, &call{ep: epGetModelVersion, req: getModelVersionRequest{name, version}, out: &out}); err != nil {
		return nil, fmt.Errorf("getting model version %s/%s: %w", name, version, err)
	}
	return &out.ModelVersion, nil
}

// WaitModelVersionReady polls a model version until its status is READY and returns it.
// It fails when registration fails, or when ctx ends (give it a deadline).
func (c *Client) WaitModelVersionReady(ctx context.Context, name, version string) (*ModelVersion, error) {
	for {
		v, err := c.GetModelVersion(ctx, name, version)
		if err != nil {
			return nil, fmt.Errorf("waiting for model version %s/%s: %w", name, version, err)
		}
		switch v.Status {
		case VersionReady:
			return v, nil
		case VersionFailed:
			return v, fmt.Errorf("model version %s/%s failed registration: %s", name, version, v.StatusMessage)
		}
		t := time.NewTimer(c.opts.pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, fmt.Errorf("waiting for model version %s/%s (status %s): %w", name, version, v.Status, ctx.Err())
		case <-t.C:
		}
	}
}

type searchModelVersionsResponse struct {
	ModelVersions []ModelVersion `json:"model_versions"`
	NextPageToken string         `json:"next_page_token"`
}

// SearchModelVersions returns the model versions that match s, e.g.
// Search{Filter: "name = 'wine' AND run_id = '…'"}.
func (c *Client) SearchModelVersions(ctx context.Context, s Search) ([]ModelVersion, error) {
	req := searchRequest{Filter: s.Filter, OrderBy: s.OrderBy}
	var versions []ModelVersion
	for {
		req.MaxResults = pageSize(s.Limit, len(versions), registryPageSize)
		page, err := c.searchVersionsPage(ctx, req, false)
		if err != nil {
			return nil, fmt.Errorf("searching model versions: %w", err)
		}
		versions = append(versions, page.ModelVersions...)
		if page.NextPageToken == "" || (s.Limit > 0 && len(versions) >= s.Limit) {
			return versions, nil
		}
		req.PageToken = page.NextPageToken
	}
}

func (c *Client) searchVersionsPage(ctx context.Context, req searchRequest, once bool) (*searchModelVersionsResponse, error) {
	var out searchModelVersionsResponse
	if err := c.do(ctx, &call{ep: epSearchModelVersions, req: req, out: &out, once: once}); err != nil {
		return nil, err
	}
	return &out, nil
}

type modelVersionTagRequest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Key     string `json:"key"`
	Value   string `json:"value"`
}

type deleteModelVersionTagRequest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Key     string `json:"key"`
}

// SetModelVersionTag sets (or overwrites) a tag on a model version.
func (c *Client) SetModelVersionTag(ctx context.Context, name, version, key, value string) error {
	if err := c.do(ctx, &call{ep: epSetModelVersionTag, req: modelVersionTagRequest{name, version, key, value}}); err != nil {
		return fmt.Errorf("setting tag %q on model version %s/%s: %w", key, name, version, err)
	}
	return nil
}

// DeleteModelVersionTag removes a tag from a model version.
func (c *Client) DeleteModelVersionTag(ctx context.Context, name, version, key string) error {
	if err := c.do(ctx, &call{ep: epDeleteModelVersionTag, req: deleteModelVersionTagRequest{name, version, key}}); err != nil {
		return fmt.Errorf("deleting tag %q of model version %s/%s: %w", key, name, version, err)
	}
	return nil
}
