package harbortest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Policy returns the retention policy bound to the project, if any.
func (s *Server) Policy(projectName string) (Policy, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[projectName]
	if !ok || p.Metadata.RetentionID == nil {
		return Policy{}, false
	}
	id, _ := strconv.ParseInt(*p.Metadata.RetentionID, 10, 64)
	pol, ok := s.policies[id]
	if !ok {
		return Policy{}, false
	}
	return *pol, true
}

func (s *Server) createRetention(w http.ResponseWriter, r *http.Request, _ map[string]string, body []byte) {
	var pol Policy
	if !decode(w, body, &pol) {
		return
	}
	if msg := s.checkPolicy(&pol); msg != "" {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "%s", msg)
		return
	}
	p := s.projectByID(pol.Scope.Ref)
	if p.Metadata.RetentionID != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "project %d already has retention policy %s", p.ProjectID, *p.Metadata.RetentionID)
		return
	}
	pol.ID = s.id()
	s.policies[pol.ID] = &pol
	rid := strconv.FormatInt(pol.ID, 10)
	p.Metadata.RetentionID = &rid
	w.Header().Set("Location", fmt.Sprintf("%s/%d", strings.TrimSuffix(r.URL.Path, "/"), pol.ID))
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) updateRetention(w http.ResponseWriter, _ *http.Request, params map[string]string, body []byte) {
	id, err := strconv.ParseInt(params["id"], 10, 64)
	old, ok := s.policies[id]
	if err != nil || !ok {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "retention policy %s not found", params["id"])
		return
	}
	var pol Policy
	if !decode(w, body, &pol) {
		return
	}
	if msg := s.checkPolicy(&pol); msg != "" {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "%s", msg)
		return
	}
	if pol.Scope.Ref != old.Scope.Ref {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "policy %d belongs to project %d, not %d", id, old.Scope.Ref, pol.Scope.Ref)
		return
	}
	pol.ID = id
	s.policies[id] = &pol
	w.WriteHeader(http.StatusOK)
}

// retentionTemplates are the rule templates Harbor's /retentions/metadatas
// offers, with whether they take a number.
var retentionTemplates = map[string]bool{
	"latestPushedK": true, "latestPulledN": true, "nDaysSinceLastPush": true, "nDaysSinceLastPull": true, "always": false,
}

// checkPolicy validates a policy the way Harbor does; "" means valid.
func (s *Server) checkPolicy(p *Policy) string {
	switch {
	case p.Algorithm != "or":
		return fmt.Sprintf("algorithm %q is not supported; use \"or\"", p.Algorithm)
	case p.Scope == nil || p.Scope.Level != "project":
		return "scope must be {level: project, ref: <project id>}"
	case s.projectByID(p.Scope.Ref) == nil:
		return fmt.Sprintf("invalid Project id %d", p.Scope.Ref)
	case p.Trigger == nil || p.Trigger.Kind != "Schedule":
		return `trigger must be {kind: "Schedule", settings: {cron: ...}}`
	case len(p.Rules) == 0 || len(p.Rules) > 15:
		return "a policy has 1 to 15 rules"
	}
	if _, ok := p.Trigger.Settings["cron"].(string); !ok {
		return "trigger.settings.cron must be a string (empty: no schedule)"
	}
	for i, r := range p.Rules {
		numeric, known := retentionTemplates[r.Template]
		switch {
		case !known:
			return fmt.Sprintf("rule %d: unknown template %q", i, r.Template)
		case r.Action != "retain":
			return fmt.Sprintf("rule %d: action %q is not supported; use \"retain\"", i, r.Action)
		case len(r.TagSelectors) == 0 || len(r.ScopeSelectors["repository"]) == 0:
			return fmt.Sprintf("rule %d: needs tag_selectors and scope_selectors.repository", i)
		}
		if n, ok := r.Params[r.Template].(float64); numeric && (!ok || n < 1 || n != float64(int64(n))) {
			return fmt.Sprintf("rule %d: params.%s must be a whole number >= 1", i, r.Template)
		}
		for _, sel := range r.TagSelectors {
			if sel.Kind != "doublestar" || (sel.Decoration != "matches" && sel.Decoration != "excludes") || sel.Pattern == "" {
				return fmt.Sprintf("rule %d: tag selector %+v is not valid", i, sel)
			}
		}
		for _, sel := range r.ScopeSelectors["repository"] {
			if sel.Kind != "doublestar" || (sel.Decoration != "repoMatches" && sel.Decoration != "repoExcludes") || sel.Pattern == "" {
				return fmt.Sprintf("rule %d: repository selector %+v is not valid", i, sel)
			}
		}
	}
	return ""
}
