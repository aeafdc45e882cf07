package harbortest

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var projectName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

type project struct {
	Project
}

// Project returns the named project as the API would show it.
func (s *Server) Project(name string) (Project, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[name]
	if !ok {
		return Project{}, false
	}
	return p.Project, true
}

// AddProject creates a project directly, as another Harbor user would.
func (s *Server) AddProject(name string, public bool) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addProject(name, public)
}

func (s *Server) addProject(name string, public bool) int64 {
	t := now()
	p := &project{Project{ProjectID: s.id(), Name: name, OwnerID: 1, OwnerName: "admin",
		CreationTime: t, UpdateTime: t, Metadata: ProjectMetadata{Public: strconv.FormatBool(public)}}}
	s.projects[name] = p
	return p.ProjectID
}

func (s *Server) projectByID(id int64) *project {
	for _, p := range s.projects {
		if p.ProjectID == id {
			return p
		}
	}
	return nil
}

// listProjects filters by name the way Harbor's name query does: a fuzzy
// (substring) match, so callers must compare names themselves.
func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, _ map[string]string, _ []byte) {
	q := r.URL.Query()
	page, size := intParam(q.Get("page"), 1), intParam(q.Get("page_size"), 10)
	if page < 1 || size < 1 || size > 100 {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "page must be >= 1 and page_size 1-100")
		return
	}
	var all []Project
	for _, p := range s.projects {
		if strings.Contains(p.Name, q.Get("name")) {
			all = append(all, p.Project)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ProjectID < all[j].ProjectID })
	w.Header().Set("X-Total-Count", strconv.Itoa(len(all)))
	from := min(int((page-1)*size), len(all))
	writeJSON(w, http.StatusOK, append([]Project{}, all[from:min(from+int(size), len(all))]...))
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request, _ map[string]string, body []byte) {
	var req ProjectReq
	if !decode(w, body, &req) {
		return
	}
	if !projectName.MatchString(req.ProjectName) || len(req.ProjectName) > 255 {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "project name %q is not valid", req.ProjectName)
		return
	}
	if _, ok := s.projects[req.ProjectName]; ok {
		writeError(w, http.StatusConflict, "CONFLICT", "The project named %s already exists", req.ProjectName)
		return
	}
	public := req.Public != nil && *req.Public
	if req.Metadata != nil && req.Metadata.Public != "" {
		public = req.Metadata.Public == "true"
	}
	id := s.addProject(req.ProjectName, public)
	w.Header().Set("Location", fmt.Sprintf("%s/%d", strings.TrimSuffix(r.URL.Path, "/"), id))
	w.WriteHeader(http.StatusCreated)
}

func intParam(s string, def int64) int64 {
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return -1
	}
	return n
}
