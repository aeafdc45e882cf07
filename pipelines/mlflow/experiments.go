package mlflow

import (
	"context"
	"fmt"
)

type getExperimentByNameRequest struct {
	ExperimentName string `json:"experiment_name"`
}

type getExperimentRequest struct {
	ExperimentID string `json:"experiment_id"`
}

type experimentResponse struct {
	Experiment Experiment `json:"experiment"`
}

type createExperimentRequest struct {
	Name             string `json:"name"`
	ArtifactLocation string `json:"artifact_location,omitempty"`
	Tags             []Tag  `json:"tags,omitempty"`
}

type createExperimentResponse struct {
	ExperimentID string `json:"experiment_id"`
}

// GetExperimentByName returns the experiment called name; IsNotFound(err) if there is none.
func (c *Client) GetExperimentByName(ctx context.Context, name string) (*Experiment, error) {
	var out experimentResponse
	err := c.do(ctx, &call{ep: epGetExperimentByName, req: getExperimentByNameRequest{name}, out: &out})
	if err != nil {
		return nil, fmt.Errorf("getting experiment %q: %w", name, err)
	}
	return &out.Experiment, nil
}

// GetExperiment returns the experiment with the given id.
func (c *Client) GetExperiment(ctx context.Context, id string) (*Experiment, error) {
	var out experimentResponse
	if err := c.do(ctx, &call{ep: epGetExperiment, req: getExperimentRequest{id}, out: &out}); err != nil {
		return nil, fmt.Errorf("getting experiment %s: %w", id, err)
	}
	return &out.Experiment, nil
}

// CreateExperiment creates an experiment and returns its id; IsAlreadyExists(err) if the
// name is taken (also when a retried attempt follows one that succeeded unseen).
// artifactLocation "" lets the server choose (mlflow-artifacts:/<id> with the proxy on).
func (c *Client) CreateExperiment(ctx context.Context, name, artifactLocation string, tags ...Tag) (string, error) {
	var out createExperimentResponse
	req := createExperimentRequest{Name: name, ArtifactLocation: artifactLocation, Tags: tags}
	if err := c.do(ctx, &call{ep: epCreateExperiment, req: req, out: &out}); err != nil {
		return "", fmt.Errorf("creating experiment %q: %w", name, err)
	}
	return out.ExperimentID, nil
}

// GetOrCreateExperiment returns the experiment called name, creating it (with tags) if it
// does not exist. Two callers racing to create it both get the same experiment.
func (c *Client) GetOrCreateExperiment(ctx context.Context, name string, tags ...Tag) (*Experiment, error) {
	exp, err := c.GetExperimentByName(ctx, name)
	if err == nil || !IsNotFound(err) {
		return exp, err
	}
	if _, err := c.CreateExperiment(ctx, name, "", tags...); err != nil && !IsAlreadyExists(err) {
		return nil, err
	}
	return c.GetExperimentByName(ctx, name)
}
