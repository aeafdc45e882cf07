package harbor

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/project"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/models"
)

// projectName is Harbor's rule for project names.
var projectName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// Project is a Harbor project as ferry sees it.
type Project struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Public      bool   `json:"public"`
	RetentionID int64  `json:"retentionId,omitempty"` // 0: no retention policy yet
	Created     bool   `json:"created"`               // this call created it
}

// EnsureProject creates project name unless it exists; an existing project is
// returned as it is (its visibility is not changed).
func (c *Client) EnsureProject(ctx context.Context, name string, public bool) (Project, error) {
	if err := checkProjectName(name); err != nil {
		return Project{}, err
	}
	if p, err := c.findProject(ctx, name); err == nil {
		c.log.Debug("harbor project exists", "project", name, "id", p.ID)
		return p, nil
	} else if !IsNotFound(err) {
		return Project{}, err
	}
	pub := strconv.FormatBool(public)
	_, err := c.projects.CreateProject(ctx, &project.CreateProjectParams{
		Project: &models.ProjectReq{ProjectName: name, Metadata: &models.ProjectMetadata{Public: pub}},
	})
	created := err == nil
	if err != nil {
		err = wrap(fmt.Sprintf("creating project %q", name), err, map[int]string{
			400: "Harbor refused the project: check the name (lowercase letters, digits, . _ -) and the storage quota",
			403: "the account may not create projects: use an admin, or set Harbor's project_creation_restriction to everyone",
		})
		if !IsConflict(err) { // someone else created it meanwhile: fine
			return Project{}, err
		}
	}
	p, err := c.findProject(ctx, name)
	if err != nil {
		return Project{}, err
	}
	p.Created = created
	c.log.Info("harbor project ensured", "project", name, "id", p.ID, "created", created)
	return p, nil
}

// findProject looks a project up by exact name (Harbor's name filter may match more).
func (c *Client) findProject(ctx context.Context, name string) (Project, error) {
	op := fmt.Sprintf("looking up project %q", name)
	for page := int64(1); ; page++ {
		size := int64(100)
		res, err := c.projects.ListProjects(ctx, &project.ListProjectsParams{Name: &name, Page: &page, PageSize: &size})
		if err != nil {
			return Project{}, wrap(op, err, nil)
		}
		for _, p := range res.Payload {
			if p != nil && p.Name == name {
				return fromModel(p)
			}
		}
		if int64(len(res.Payload)) < size {
			return Project{}, &Error{Op: op, Status: http.StatusNotFound, Code: "NOT_FOUND",
				Message: fmt.Sprintf("no project named %q", name), Hint: "create it first with EnsureProject, or check the name"}
		}
	}
}

func fromModel(p *models.Project) (Project, error) {
	out := Project{ID: int64(p.ProjectID), Name: p.Name}
	if p.Metadata == nil {
		return out, nil
	}
	out.Public = p.Metadata.Public == "true"
	if p.Metadata.RetentionID != nil && *p.Metadata.RetentionID != "" {
		id, err := strconv.ParseInt(*p.Metadata.RetentionID, 10, 64)
		if err != nil {
			return out, fmt.Errorf("reading project %q: retention_id %q is not a number", p.Name, *p.Metadata.RetentionID)
		}
		out.RetentionID = id
	}
	return out, nil
}

func checkProjectName(name string) error {
	if len(name) == 0 || len(name) > 255 || !projectName.MatchString(name) {
		return fmt.Errorf("harbor project name %q is not valid: use 1-255 lowercase letters and digits, "+
			"with single . _ or - between them (e.g. ferry-models)", name)
	}
	return nil
}
