package mlflow

import (
	"context"
	"fmt"
	"time"
)

type createRunRequest struct {
	ExperimentID string `json:"experiment_id"`
	RunName      string `json:"run_name,omitempty"`
	StartTime    int64  `json:"start_time"`
	Tags         []Tag  `json:"tags,omitempty"`
}

type runResponse struct {
	Run Run `json:"run"`
}

// CreateRun starts a run (status RUNNING) in an experiment. It tags the run with
// RequestIDTag so that a retry after a lost attempt finds that run rather than making a
// second one: see RequestIDTag.
func (c *Client) CreateRun(ctx context.Context, experimentID, runName string, tags ...Tag) (*Run, error) {
	id := newRequestID()
	req := createRunRequest{
		ExperimentID: experimentID,
		RunName:      runName,
		StartTime:    time.Now().UnixMilli(),
		Tags:         append(append([]Tag(nil), tags...), Tag{RequestIDTag, id}),
	}
	var out runResponse
	findLost := func(ctx context.Context) (bool, error) {
		filter := fmt.Sprintf("tags.`%s` = %s", RequestIDTag, quote(id))
		page, err := c.searchRunsPage(ctx, searchRunsRequest{ExperimentIDs: []string{experimentID}, Filter: filter, MaxResults: 2}, true)
		if err != nil || len(page.Runs) == 0 {
			return false, err
		}
		out.Run = page.Runs[0]
		return true, nil
	}
	if err := c.do(ctx, &call{ep: epCreateRun, req: req, out: &out, recover: findLost}); err != nil {
		return nil, fmt.Errorf("creating run %q in experiment %s: %w", runName, experimentID, err)
	}
	return &out.Run, nil
}

type getRunRequest struct {
	RunID string `json:"run_id"`
}

// GetRun returns a run with its latest metrics, params and tags.
func (c *Client) GetRun(ctx context.Context, runID string) (*Run, error) {
	var out runResponse
	if err := c.do(ctx, &call{ep: epGetRun, req: getRunRequest{runID}, out: &out}); err != nil {
		return nil, fmt.Errorf("getting run %s: %w", runID, err)
	}
	return &out.Run, nil
}

type updateRunRequest struct {
	RunID   string    `json:"run_id"`
	Status  RunStatus `json:"status,omitempty"`
	EndTime int64     `json:"end_time,omitempty"`
	RunName string    `json:"run_name,omitempty"`
}

type updateRunResponse struct {
	RunInfo RunInfo `json:"run_info"`
}

// RunUpdate is what UpdateRun changes; zero fields are left alone.
type RunUpdate struct {
	Status  RunStatus
	EndTime time.Time
	Name    string
}

// UpdateRun changes a run's status, end time or name.
func (c *Client) UpdateRun(ctx context.Context, runID string, u RunUpdate) (*RunInfo, error) {
	req := updateRunRequest{RunID: runID, Status: u.Status, RunName: u.Name}
	if !u.EndTime.IsZero() {
		req.EndTime = u.EndTime.UnixMilli()
	}
	var out updateRunResponse
	if err := c.do(ctx, &call{ep: epUpdateRun, req: req, out: &out}); err != nil {
		return nil, fmt.Errorf("updating run %s: %w", runID, err)
	}
	return &out.RunInfo, nil
}

// SetTerminated ends a run with status (RunFinished, RunFailed or RunKilled) at the current time.
func (c *Client) SetTerminated(ctx context.Context, runID string, status RunStatus) error {
	_, err := c.UpdateRun(ctx, runID, RunUpdate{Status: status, EndTime: time.Now()})
	return err
}

type searchRunsRequest struct {
	ExperimentIDs []string `json:"experiment_ids"`
	Filter        string   `json:"filter,omitempty"`
	RunViewType   string   `json:"run_view_type,omitempty"`
	MaxResults    int      `json:"max_results,omitempty"`
	OrderBy       []string `json:"order_by,omitempty"`
	PageToken     string   `json:"page_token,omitempty"`
}

type searchRunsResponse struct {
	Runs          []Run  `json:"runs"`
	NextPageToken string `json:"next_page_token"`
}

// runsPageSize is the page size for run searches (MLflow's default); tests lower it.
var runsPageSize = 1000

// SearchRuns returns the active runs of the given experiments that match s, page by page.
func (c *Client) SearchRuns(ctx context.Context, experimentIDs []string, s Search) ([]Run, error) {
	req := searchRunsRequest{ExperimentIDs: experimentIDs, Filter: s.Filter, OrderBy: s.OrderBy}
	var runs []Run
	for {
		req.MaxResults = pageSize(s.Limit, len(runs), runsPageSize)
		page, err := c.searchRunsPage(ctx, req, false)
		if err != nil {
			return nil, fmt.Errorf("searching runs in experiments %v: %w", experimentIDs, err)
		}
		runs = append(runs, page.Runs...)
		if page.NextPageToken == "" || (s.Limit > 0 && len(runs) >= s.Limit) {
			return runs, nil
		}
		req.PageToken = page.NextPageToken
	}
}

func (c *Client) searchRunsPage(ctx context.Context, req searchRunsRequest, once bool) (*searchRunsResponse, error) {
	var out searchRunsResponse
	if err := c.do(ctx, &call{ep: epSearchRuns, req: req, out: &out, once: once}); err != nil {
		return nil, err
	}
	return &out, nil
}

// pageSize is the max_results for the next page: the page size, or what is left of limit.
func pageSize(limit, have, page int) int {
	if limit > 0 && limit-have < page {
		return limit - have
	}
	return page
}
