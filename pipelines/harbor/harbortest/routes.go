package harbortest

import "net/http"

// Route is one Harbor API route the fake answers.
type Route struct {
	Method      string
	Path        string   // swagger path template under /api/v2.0
	OperationID string   // swagger operationId
	Query       []string // query parameters the fake reads
	Headers     []string // header parameters the fake reads
	Body        any      // request body (a zero value of its type); nil: none
	// Responses maps each status the fake can answer to its body type (nil: no
	// body) and ResponseHeaders to the headers it sets on that status.
	Responses       map[int]any
	ResponseHeaders map[int][]string
	// Undeclared lists statuses real Harbor sends on this route although its
	// swagger.yaml does not declare them, each with the reason.
	Undeclared map[int]string

	handle func(s *Server, w http.ResponseWriter, r *http.Request, params map[string]string, body []byte)
}

// Routes returns every route the fake answers.
func Routes() []Route { return append([]Route(nil), routes...) }

// errs is the body of every error answer.
var errs = Errors{}

const artifactPath = "/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}"

var routes = []Route{
	{
		Method: http.MethodGet, Path: "/projects", OperationID: "listProjects",
		Query:           []string{"name", "page", "page_size"},
		Responses:       map[int]any{200: []Project{}, 401: errs},
		ResponseHeaders: map[int][]string{200: {"X-Total-Count"}},
		handle:          (*Server).listProjects,
	},
	{
		Method: http.MethodPost, Path: "/projects", OperationID: "createProject",
		Body:            ProjectReq{},
		Responses:       map[int]any{201: nil, 400: errs, 401: errs, 409: errs},
		ResponseHeaders: map[int][]string{201: {"Location"}},
		handle:          (*Server).createProject,
	},
	{
		Method: http.MethodPost, Path: "/retentions", OperationID: "createRetention",
		Body:            Policy{},
		Responses:       map[int]any{201: nil, 400: errs, 401: errs},
		ResponseHeaders: map[int][]string{201: {"Location"}},
		handle:          (*Server).createRetention,
	},
	{
		Method: http.MethodPut, Path: "/retentions/{id}", OperationID: "updateRetention",
		Body:      Policy{},
		Responses: map[int]any{200: nil, 400: errs, 401: errs, 404: errs},
		Undeclared: map[int]string{
			400: "Harbor's UpdateRetention handler answers errors.BadRequestError for an invalid policy",
			404: "Harbor's retention controller answers NOT_FOUND for an unknown policy ID",
		},
		handle: (*Server).updateRetention,
	},
	{
		Method: http.MethodPost, Path: artifactPath + "/scan", OperationID: "scanArtifact",
		Body:      ScanType{},
		Responses: map[int]any{202: nil, 400: errs, 401: errs, 404: errs},
		handle:    (*Server).scanArtifact,
	},
	{
		Method: http.MethodGet, Path: artifactPath, OperationID: "getArtifact",
		Query:     []string{"with_scan_overview", "with_tag"},
		Headers:   []string{"X-Accept-Vulnerabilities"},
		Responses: map[int]any{200: Artifact{}, 401: errs, 404: errs},
		handle:    (*Server).getArtifact,
	},
}
