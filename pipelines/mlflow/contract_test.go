package mlflow

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/mlflow/mlflowtest"
)

// contract lists every endpoint the client calls with the messages it sends and decodes.
var contract = []struct {
	name      string
	ep        endpoint
	req, resp any // nil: no JSON message (raw artifact bytes, or an empty response)
}{
	{"epGetExperimentByName", epGetExperimentByName, getExperimentByNameRequest{}, experimentResponse{}},
	{"epGetExperiment", epGetExperiment, getExperimentRequest{}, experimentResponse{}},
	{"epCreateExperiment", epCreateExperiment, createExperimentRequest{}, createExperimentResponse{}},
	{"epCreateRun", epCreateRun, createRunRequest{}, runResponse{}},
	{"epUpdateRun", epUpdateRun, updateRunRequest{}, updateRunResponse{}},
	{"epGetRun", epGetRun, getRunRequest{}, runResponse{}},
	{"epSearchRuns", epSearchRuns, searchRunsRequest{}, searchRunsResponse{}},
	{"epLogBatch", epLogBatch, logBatchRequest{}, nil},
	{"epDeleteTag", epDeleteTag, deleteTagRequest{}, nil},
	{"epCreateRegisteredModel", epCreateRegisteredModel, createRegisteredModelRequest{}, registeredModelResponse{}},
	{"epGetRegisteredModel", epGetRegisteredModel, getRegisteredModelRequest{}, registeredModelResponse{}},
	{"epSearchRegisteredModels", epSearchRegisteredModels, searchRequest{}, searchRegisteredModelsResponse{}},
	{"epSetRegisteredModelTag", epSetRegisteredModelTag, registeredModelTagRequest{}, nil},
	{"epDeleteRegisteredModelTag", epDeleteRegisteredModelTag, deleteRegisteredModelTagRequest{}, nil},
	{"epCreateModelVersion", epCreateModelVersion, createModelVersionRequest{}, modelVersionResponse{}},
	{"epGetModelVersion", epGetModelVersion, getModelVersionRequest{}, modelVersionResponse{}},
	{"epSearchModelVersions", epSearchModelVersions, searchRequest{}, searchModelVersionsResponse{}},
	{"epSetModelVersionTag", epSetModelVersionTag, modelVersionTagRequest{}, nil},
	{"epDeleteModelVersionTag", epDeleteModelVersionTag, deleteModelVersionTagRequest{}, nil},
	{"epSetAlias", epSetAlias, setAliasRequest{}, nil},
	{"epDeleteAlias", epDeleteAlias, aliasRequest{}, nil},
	{"epGetByAlias", epGetByAlias, aliasRequest{}, modelVersionResponse{}},
	{"epUploadArtifact", epUploadArtifact, nil, nil},
	{"epDownloadArtifact", epDownloadArtifact, nil, nil},
	{"epListArtifacts", epListArtifacts, listArtifactsRequest{}, listArtifactsResponse{}},
}

// TestContract checks every endpoint, and every JSON field the client sends or reads,
// against the REST API definitions inside the pinned MLflow package.
func TestContract(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the pinned MLflow package; run without -short")
	}
	pkg := mlflowtest.PackageDir(t)
	messages := map[string][]protoField{}
	var endpoints []protoEndpoint
	for _, f := range []string{"service_pb2.py", "model_registry_pb2.py", "mlflow_artifacts_pb2.py"} {
		pf, err := readPb2(filepath.Join(pkg, "protos", f))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range pf.messages {
			messages[k] = v
		}
		endpoints = append(endpoints, pf.endpoints...)
	}
	if len(endpoints) < 50 || len(messages) < 100 {
		t.Fatalf("read %d endpoints and %d messages from %s/protos, want far more: is the reader broken?", len(endpoints), len(messages), pkg)
	}
	checkEveryEndpointListed(t)
	for _, tt := range contract {
		t.Run(tt.name, func(t *testing.T) {
			if !declared(endpoints, tt.ep) {
				t.Errorf("%s: %s /api/2.0%s (%s) is not declared by MLflow %s", tt.name, tt.ep.method, tt.ep.path, tt.ep.message, mlflowtest.MLflowVersion)
			}
			if tt.req != nil {
				checkFields(t, messages, tt.ep.message, reflect.TypeOf(tt.req), "request")
			}
			if tt.resp != nil {
				checkFields(t, messages, tt.ep.message+".Response", reflect.TypeOf(tt.resp), "response")
			}
		})
	}
}

// declared reports whether MLflow declares ep: same method, same path under /api/<major>.0,
// same request message.
func declared(endpoints []protoEndpoint, ep endpoint) bool {
	for _, p := range endpoints {
		if p.method == ep.method && p.major == 2 && p.minor == 0 && p.path == ep.path && p.input == ep.message {
			return true
		}
	}
	return false
}

// checkFields asserts that every JSON field of typ exists in the proto message msg, and
// recurses into fields that are messages themselves.
func checkFields(t *testing.T, messages map[string][]protoField, msg string, typ reflect.Type, what string) {
	t.Helper()
	fields, ok := messages[msg]
	if !ok {
		t.Errorf("%s message %s does not exist", what, msg)
		return
	}
	for i := range typ.NumField() {
		sf := typ.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		var pf *protoField
		for j := range fields {
			if fields[j].name == name {
				pf = &fields[j]
			}
		}
		if pf == nil {
			var names []string
			for _, f := range fields {
				names = append(names, f.name)
			}
			sort.Strings(names)
			t.Errorf("%s field %q (%s.%s) is not a field of %s %v", what, name, typ.Name(), sf.Name, msg, names)
			continue
		}
		ft := sf.Type
		for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && pf.typeName != "" {
			checkFields(t, messages, strings.TrimPrefix(pf.typeName, "."), ft, what)
		}
	}
}

// checkEveryEndpointListed parses endpoints.go so no endpoint escapes the contract table.
func checkEveryEndpointListed(t *testing.T) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "endpoints.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, c := range contract {
		listed[c.name] = true
	}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if lit, ok := vs.Values[i].(*ast.CompositeLit); ok && !listed[name.Name] {
				if id, ok := lit.Type.(*ast.Ident); ok && id.Name == "endpoint" {
					t.Errorf("endpoint %s (endpoints.go) is missing from the contract table", name.Name)
				}
			}
		}
		return true
	})
}

// TestServerSource checks what the client assumes about the pinned MLflow's server code:
// the artifact routes on the Flask side (every service endpoint mounted at
// /api/<major>.0<path>, the three artifact messages mapped to the handlers whose
// docstrings name the same routes), how GET handlers read query parameters, and the
// message for an alias that is not set (see unknownAliasIsNotFound).
func TestServerSource(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the pinned MLflow package; run without -short")
	}
	pkg := mlflowtest.PackageDir(t)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(pkg, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	handlers, server := read("server/handlers.py"), read("server/__init__.py")
	store := read("store/model_registry/sqlalchemy_store.py")
	tests := []struct {
		file, src string
		pattern   string
	}{
		{"handlers.py", handlers, `def _get_rest_path\(base_path, version=2\):\s+return _add_static_prefix\(f"/api/\{version\}\.0\{base_path\}"\)`},
		{"handlers.py", handlers, `get_service_endpoints\(MlflowArtifactsService, get_handler\)`},
		{"handlers.py", handlers, `ListArtifacts as ListArtifactsMlflowArtifacts`},
		{"handlers.py", handlers, `DownloadArtifact: _download_artifact,`},
		{"handlers.py", handlers, `UploadArtifact: _upload_artifact,`},
		{"handlers.py", handlers, `ListArtifactsMlflowArtifacts: _list_artifacts_mlflow_artifacts,`},
		{"handlers.py", handlers, "def _download_artifact\\(artifact_path\\):\\s+\"\"\"\\s+A request handler for `GET /mlflow-artifacts/artifacts/<artifact_path>`"},
		{"handlers.py", handlers, "def _upload_artifact\\(artifact_path\\):\\s+\"\"\"\\s+A request handler for `PUT /mlflow-artifacts/artifacts/<artifact_path>`"},
		{"handlers.py", handlers, "A request handler for `GET /mlflow-artifacts/artifacts\\?path=<value>`"},
		{"handlers.py", handlers, `request_message\.path`},
		// GET handlers read each field from a query parameter of its name, repeated fields repeated.
		{"handlers.py", handlers, `flask_request\.args\.getlist\(field\.name\)`},
		{"sqlalchemy_store.py", store, `f"Registered model alias \{alias\} not found\.", INVALID_PARAMETER_VALUE`},
		{"__init__.py", server, `for http_path, handler, methods in handlers\.get_endpoints\(\):\s+app\.add_url_rule\(http_path, handler\.__name__, handler, methods=methods\)`},
	}
	for _, tt := range tests {
		if !regexp.MustCompile(tt.pattern).MatchString(tt.src) {
			t.Errorf("%s of MLflow %s does not match %s", tt.file, mlflowtest.MLflowVersion, tt.pattern)
		}
	}
}
