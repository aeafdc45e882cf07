package oip

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// The client against the protocol's published documents: every request it makes is a
// route and method they define, and every JSON field it sends or reads is in the schemas.

func TestClientRoutesAreInTheSpec(t *testing.T) {
	s := loadSpec(t)
	for _, r := range record(t) {
		if msg := s.checkRoute(r.method, r.path); msg != "" {
			t.Error(msg)
		}
	}
}

// The checks must be able to fail: routes and fields the documents lack are reported.
func TestSpecChecksRejectWhatTheSpecLacks(t *testing.T) {
	s := loadSpec(t)
	for _, r := range []struct{ method, path string }{
		{"GET", "/v2/model/diamonds"},               // singular "model"
		{"POST", "/v2/models/diamonds"},             // wrong method
		{"GET", "/v2/models/diamonds/infer"},        // infer is POST
		{"POST", "/v2/repository/index"},            // MLServer's extension, not the protocol
		{"GET", "/v2/models/diamonds/versions/1/x"}, // no such route
	} {
		if s.checkRoute(r.method, r.path) == "" {
			t.Errorf("checkRoute(%s %s) = ok, want an error", r.method, r.path)
		}
	}
	type wrongResponse struct {
		Model   string           `json:"model"` // the protocol says model_name
		Outputs []ResponseOutput `json:"outputs"`
	}
	if errs := s.checkFields(reflect.TypeFor[wrongResponse](), "inference_response"); len(errs) == 0 {
		t.Error("checkFields(wrongResponse) found nothing, want model not in schema and model_name missing")
	}
	body := map[string]any{"inputs": []any{map[string]any{"name": "x", "shape": []any{1.0}, "datatype": "FP64", "dtype": "x"}}}
	if errs := s.checkBody(body, "inference_request", "request"); len(errs) != 2 {
		t.Errorf("checkBody(dtype, no data) = %q, want 2 errors (dtype unknown, data missing)", errs)
	}
}

func TestClientTypesMatchTheSchemas(t *testing.T) {
	s := loadSpec(t)
	for _, c := range []struct {
		typ    reflect.Type
		schema string
	}{
		{reflect.TypeFor[InferenceRequest](), "inference_request"},
		{reflect.TypeFor[InferenceResponse](), "inference_response"},
		{reflect.TypeFor[ServerMetadata](), "metadata_server_response"},
		{reflect.TypeFor[ModelMetadata](), "metadata_model_response"},
		{reflect.TypeFor[errorBody](), "inference_error_response"},
		{reflect.TypeFor[errorBody](), "metadata_server_error_response"},
		{reflect.TypeFor[errorBody](), "metadata_model_error_response"},
	} {
		for _, e := range s.checkFields(c.typ, c.schema) {
			t.Error(e)
		}
	}
	// fastAPIError is the one body the client reads that the protocol does not define:
	// MLServer's 422 validation answers. It is only a fallback for Error.Message.
	if s.schemas["fast_api_error"] != nil {
		t.Error("the spec now defines fast_api_error: check it against fastAPIError")
	}
}

func TestClientSendsOnlySpecFields(t *testing.T) {
	s := loadSpec(t)
	n := 0
	for _, r := range record(t) {
		if r.method != "POST" {
			continue
		}
		n++
		var body any
		if err := json.Unmarshal([]byte(r.body), &body); err != nil {
			t.Fatalf("%s %s sent %q: %v", r.method, r.path, r.body, err)
		}
		for _, e := range s.checkBody(body, "inference_request", "request") {
			t.Error(e)
		}
		for _, f := range []string{`"id"`, `"parameters"`, `"inputs"`, `"outputs"`, `"shape"`, `"datatype"`, `"data"`} {
			if !strings.Contains(r.body, f) {
				t.Errorf("sent body %s lacks %s: the check saw less than the client can send", r.body, f)
			}
		}
	}
	if n != 2 {
		t.Errorf("recorded %d inference requests, want 2", n)
	}
}

// The document's own examples decode into the client's types and encode back unchanged.
func TestSpecExamplesRoundTrip(t *testing.T) {
	s := loadSpec(t)
	examples, _ := s.schemas["inference_request"].(map[string]any)["x-examples"].(map[string]any)
	ex, ok := examples["Example 1"]
	if !ok {
		t.Fatal("inference_request has no x-examples.Example 1")
	}
	want, _ := json.Marshal(ex)
	var req InferenceRequest
	if err := json.Unmarshal(want, &req); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(req)
	var a, b any
	_ = json.Unmarshal(want, &a)
	_ = json.Unmarshal(got, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Example 1 round trip = %s, want %s", got, want)
	}
}
