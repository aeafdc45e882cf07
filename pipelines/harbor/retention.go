package harbor

import (
	"context"
	"fmt"
	"path"
	"strconv"

	"github.com/goharbor/go-client/pkg/sdk/v2.0/client/retention"
	"github.com/goharbor/go-client/pkg/sdk/v2.0/models"
)

// Harbor's vocabulary for a retention rule (its /retentions/metadatas).
const (
	templateLatestPushed = "latestPushedK"
	selectorKind         = "doublestar"
	// untaggedToo makes the rule consider untagged artifacts as well, as
	// Harbor's UI does by default.
	untaggedToo = `{"untagged":true}`
)

// SetRetention gives project a retention policy that keeps, in every
// repository, the keepN most recently pushed artifacts whose tags match
// tagPattern (doublestar syntax; "" means "**", every tag). It creates the
// project's policy, or replaces the rules of the one it has, and returns its ID.
// The policy runs when triggered (no schedule), as Harbor's default does.
func (c *Client) SetRetention(ctx context.Context, projectName string, keepN int, tagPattern string) (int64, error) {
	if keepN < 1 {
		return 0, fmt.Errorf("setting retention for project %q: keep is %d; keep at least 1 artifact per repository", projectName, keepN)
	}
	if tagPattern == "" {
		tagPattern = "**"
	}
	if _, err := path.Match(tagPattern, ""); err != nil {
		return 0, fmt.Errorf("setting retention for project %q: tag pattern %q is malformed (%v); use doublestar syntax such as v* or **", projectName, tagPattern, err)
	}
	if err := checkProjectName(projectName); err != nil {
		return 0, err
	}
	p, err := c.findProject(ctx, projectName)
	if err != nil {
		return 0, err
	}
	policy := retentionPolicy(p.ID, keepN, tagPattern)
	hints := map[int]string{
		400: "Harbor rejected the policy; compare it with GET /api/v2.0/retentions/metadatas",
		403: "the account needs project admin rights to change the retention policy",
	}
	if p.RetentionID != 0 {
		policy.ID = p.RetentionID
		_, err := c.retention.UpdateRetention(ctx, &retention.UpdateRetentionParams{ID: p.RetentionID, Policy: policy})
		if err != nil {
			hints[404] = fmt.Sprintf("the project's retention_id metadata names policy %d, which Harbor does not have; "+
				"remove that metadata (DELETE /api/v2.0/projects/%s/metadatas/retention_id) and run again", p.RetentionID, projectName)
			return 0, wrap(fmt.Sprintf("updating retention policy %d of project %q", p.RetentionID, projectName), err, hints)
		}
		c.log.Info("harbor retention updated", "project", projectName, "policy", p.RetentionID, "keep", keepN, "tags", tagPattern)
		return p.RetentionID, nil
	}
	res, err := c.retention.CreateRetention(ctx, &retention.CreateRetentionParams{Policy: policy})
	if err != nil {
		return 0, wrap(fmt.Sprintf("creating retention policy for project %q", projectName), err, hints)
	}
	id, err := strconv.ParseInt(path.Base(res.Location), 10, 64)
	if err != nil { // no usable Location: the project's metadata names the policy
		if p, err = c.findProject(ctx, projectName); err != nil {
			return 0, err
		}
		id = p.RetentionID
	}
	c.log.Info("harbor retention created", "project", projectName, "policy", id, "keep", keepN, "tags", tagPattern)
	return id, nil
}

// retentionPolicy is one "retain the latest pushed K" rule over every
// repository of the project, run on demand.
func retentionPolicy(projectID int64, keepN int, tagPattern string) *models.RetentionPolicy {
	return &models.RetentionPolicy{
		Algorithm: "or",
		Rules: []*models.RetentionRule{{
			Action:   "retain",
			Template: templateLatestPushed,
			Params:   map[string]any{templateLatestPushed: keepN},
			TagSelectors: []*models.RetentionSelector{{
				Kind: selectorKind, Decoration: "matches", Pattern: tagPattern, Extras: untaggedToo,
			}},
			ScopeSelectors: map[string][]models.RetentionSelector{
				"repository": {{Kind: selectorKind, Decoration: "repoMatches", Pattern: "**"}},
			},
		}},
		Trigger: &models.RetentionRuleTrigger{Kind: "Schedule", Settings: map[string]any{"cron": ""}},
		Scope:   &models.RetentionPolicyScope{Level: "project", Ref: projectID},
	}
}
