package mlflow

import (
	"context"
	"fmt"
)

type createRegisteredModelRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Tags        []Tag  `json:"tags,omitempty"`
}

type getRegisteredModelRequest struct {
	Name string `json:"name"`
}

type registeredModelResponse struct {
	RegisteredModel RegisteredModel `json:"registered_model"`
}

// CreateRegisteredModel registers a model name; IsAlreadyExists(err) if it exists.
func (c *Client) CreateRegisteredModel(ctx context.Context, name, description string, tags ...Tag) (*RegisteredModel, error) {
	var out registeredModelResponse
	req := createRegisteredModelRequest{Name: name, Description: description, Tags: tags}
	if err := c.do(ctx, &call{ep: epCreateRegisteredModel, req: req, out: &out}); err != nil {
		return nil, fmt.Errorf("creating registered model %q: %w", name, err)
	}
	return &out.RegisteredModel, nil
}

// EnsureRegisteredModel returns the registered model called name, creating it with
// description and tags if it does not exist; an existing model is returned unchanged.
// Calling it twice, or retrying it, leaves one model.
func (c *Client) EnsureRegisteredModel(ctx context.Context, name, description string, tags ...Tag) (*RegisteredModel, error) {
	m, err := c.CreateRegisteredModel(ctx, name, description, tags...)
	if err == nil || !IsAlreadyExists(err) {
		return m, err
	}
	return c.GetRegisteredModel(ctx, name)
}

// GetRegisteredModel returns a registered model; IsNotFound(err) if there is none.
func (c *Client) GetRegisteredModel(ctx context.Context, name string) (*RegisteredModel, error) {
	var out registeredModelResponse
	if err := c.do(ctx, &call{ep: epGetRegisteredModel, req: getRegisteredModelRequest{name}, out: &out}); err != nil {
		return nil, fmt.Errorf("getting registered model %q: %w", name, err)
	}
	return &out.RegisteredModel, nil
}

type searchRequest struct {
	Filter     string   `json:"filter,omitempty"`
	MaxResults int      `json:"max_results,omitempty"`
	OrderBy    []string `json:"order_by,omitempty"`
	PageToken  string   `json:"page_token,omitempty"`
}

type searchRegisteredModelsResponse struct {
	RegisteredModels []RegisteredModel `json:"registered_models"`
	NextPageToken    string            `json:"next_page_token"`
}

// registryPageSize is the page size for registry searches; MLflow caps registered-model
// pages at 1000 (SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD); tests lower it.
var registryPageSize = 1000

// SearchRegisteredModels returns the registered models that match s, e.g.
// Search{Filter: "name LIKE 'wine%'"}.
func (c *Client) SearchRegisteredModels(ctx context.Context, s Search) ([]RegisteredModel, error) {
	req := searchRequest{Filter: s.Filter, OrderBy: s.OrderBy}
	var models []RegisteredModel
	for {
		req.MaxResults = pageSize(s.Limit, len(models), registryPageSize)
		var page searchRegisteredModelsResponse
		if err := c.do(ctx, &call{ep: epSearchRegisteredModels, req: req, out: &page}); err != nil {
			return nil, fmt.Errorf("searching registered models: %w", err)
		}
		models = append(models, page.RegisteredModels...)
		if page.NextPageToken == "" || (s.Limit > 0 && len(models) >= s.Limit) {
			return models, nil
		}
		req.PageToken = page.NextPageToken
	}
}

type registeredModelTagRequest struct {
	Name  string `json:"name"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

type deleteRegisteredModelTagRequest struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// SetRegisteredModelTag sets (or overwrites) a tag on a registered model.
func (c *Client) SetRegisteredModelTag(ctx context.Context, name, key, value string) error {
	if err := c.do(ctx, &call{ep: epSetRegisteredModelTag, req: registeredModelTagRequest{name, key, value}}); err != nil {
		return fmt.Errorf("setting tag %q on registered model %q: %w", key, name, err)
	}
	return nil
}

// DeleteRegisteredModelTag removes a tag from a registered model.
func (c *Client) DeleteRegisteredModelTag(ctx context.Context, name, key string) error {
	if err := c.do(ctx, &call{ep: epDeleteRegisteredModelTag, req: deleteRegisteredModelTagRequest{name, key}}); err != nil {
		return fmt.Errorf("deleting tag %q of registered model %q: %w", key, name, err)
	}
	return nil
}
