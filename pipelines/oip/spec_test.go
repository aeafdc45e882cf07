package oip

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// spec holds the protocol's published documents in testdata/ (see their headers for
// source, commit and licence), parsed for contract_test.go.
type spec struct {
	schemas map[string]any
	api     []route // OpenAPI paths, versioned model routes only
	table   []route // the REST spec's routes table, optional segments expanded
}

// route is a method and a path pattern; full is the pattern with every optional part.
type route struct {
	method string
	re     *regexp.Regexp
	full   string
}

func loadSpec(t *testing.T) spec {
	t.Helper()
	b, err := os.ReadFile("testdata/open_inference_rest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parsing open_inference_rest.yaml: %v", err)
	}
	s := spec{schemas: doc.Components.Schemas}
	for p, ops := range doc.Paths {
		p = strings.NewReplacer("${MODEL_NAME}", "{name}", "${MODEL_VERSION}", "{version}").Replace(p)
		// The table says "v2" where the OpenAPI paths say "/v2/"; MLServer redirects /v2/ to /v2.
		p = strings.TrimSuffix(p, "/")
		for m := range ops {
			if m != "parameters" {
				s.api = append(s.api, newRoute(strings.ToUpper(m), p, p))
			}
		}
	}
	md, err := os.ReadFile("testdata/inference_rest_routes.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(md), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !slices.Contains([]string{"GET", "POST"}, strings.TrimSpace(cells[2])) {
			continue
		}
		p := strings.NewReplacer(`\<`, "<", `\>`, ">").Replace("/" + strings.TrimSpace(cells[3]))
		p = strings.NewReplacer("<model_name>", "{name}", "<model_version>", "{version}").Replace(p)
		full := strings.NewReplacer("[", "", "]", "").Replace(p)
		short := regexp.MustCompile(`\[[^\]]*\]`).ReplaceAllString(p, "")
		for _, v := range []string{full, short} {
			s.table = append(s.table, newRoute(strings.TrimSpace(cells[2]), v, full))
		}
	}
	if len(s.api) < 6 || len(s.table) < 9 || len(s.schemas) < 10 {
		t.Fatalf("spec parsed to %d OpenAPI routes, %d table routes, %d schemas: the documents changed shape", len(s.api), len(s.table), len(s.schemas))
	}
	return s
}

func newRoute(method, pattern, full string) route {
	re := regexp.QuoteMeta(pattern)
	re = strings.NewReplacer(`\{name\}`, `[^/]+`, `\{version\}`, `[^/]+`).Replace(re)
	return route{method: method, re: regexp.MustCompile("^" + re + "$"), full: full}
}

// checkRoute says why method path is not a route of the spec, or "" if it is: it must be
// in the routes table, and the table's full form of it must be an OpenAPI operation.
func (s spec) checkRoute(method, path string) string {
	for _, tr := range s.table {
		if tr.method != method || !tr.re.MatchString(path) {
			continue
		}
		for _, ar := range s.api {
			if ar.method == method && ar.full == tr.full {
				return ""
			}
		}
		return fmt.Sprintf("%s %s is in the routes table as %s but not in the OpenAPI paths", method, path, tr.full)
	}
	return fmt.Sprintf("%s %s is not a route of the protocol", method, path)
}

// checkFields compares a Go type's JSON fields with a schema, both ways, recursing into
// nested objects; it returns every mismatch.
func (s spec) checkFields(typ reflect.Type, schema string) []string {
	props, _ := s.schemas[schema].(map[string]any)["properties"].(map[string]any)
	var errs []string
	seen := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		seen[name] = true
		prop, ok := props[name].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s.%s: field %q is not in schema %s", typ.Name(), f.Name, name, schema))
			continue
		}
		if ref := refOf(prop); ref != "" {
			if elem := structOf(f.Type); elem != nil {
				errs = append(errs, s.checkFields(elem, ref)...)
			}
		}
	}
	for name := range props {
		if !seen[name] {
			errs = append(errs, fmt.Sprintf("%s: schema %s has field %q, which the type lacks", typ.Name(), schema, name))
		}
	}
	return errs
}

// refOf returns the schema a property refers to, directly or as array items.
func refOf(prop map[string]any) string {
	if items, ok := prop["items"].(map[string]any); ok {
		prop = items
	}
	ref, _ := prop["$ref"].(string)
	return strings.TrimPrefix(ref, "#/components/schemas/")
}

func structOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Slice || t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		return t
	}
	return nil
}

// checkBody checks a JSON value sent as schema: its keys must be properties, and the
// schema's required properties must be there.
func (s spec) checkBody(v any, schema, where string) []string {
	obj, ok := v.(map[string]any)
	sch, _ := s.schemas[schema].(map[string]any)
	props, _ := sch["properties"].(map[string]any)
	if !ok || props == nil {
		return nil // free-form ($parameters) or tensor data
	}
	var errs []string
	for k, val := range obj {
		prop, ok := props[k].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: sent field %q is not in schema %s", where, k, schema))
			continue
		}
		ref := refOf(prop)
		if arr, isArr := val.([]any); isArr && prop["items"] != nil {
			for i, e := range arr {
				errs = append(errs, s.checkBody(e, ref, fmt.Sprintf("%s.%s[%d]", where, k, i))...)
			}
		} else if ref != "" {
			errs = append(errs, s.checkBody(val, ref, where+"."+k)...)
		}
	}
	req, _ := sch["required"].([]any)
	for _, r := range req {
		if _, ok := obj[r.(string)]; !ok {
			errs = append(errs, fmt.Sprintf("%s: required field %q of schema %s was not sent", where, r, schema))
		}
	}
	return errs
}

type recorded struct{ method, path, body string }

// record runs every client call against a recorder behind a service-proxy-like prefix.
func record(t *testing.T) []recorded {
	const prefix = "/api/v1/namespaces/ns/services/diamonds:http/proxy"
	var got []recorded
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, recorded{r.Method, r.URL.EscapedPath(), string(b)})
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(ts.Close)
	c, err := New(ts.URL + prefix + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := InferenceRequest{ID: "1", Parameters: Parameters{"content_type": "pd"},
		Inputs:  []RequestInput{{Name: "x", Shape: []int64{1}, Datatype: "FP64", Parameters: Parameters{"a": 1}, Data: []float64{1}}},
		Outputs: []RequestOutput{{Name: "y", Parameters: Parameters{"b": 2}}}}
	_, _ = c.Live(ctx), c.Ready(ctx)
	_, _ = c.ServerMetadata(ctx)
	for _, v := range []string{"", "v1"} {
		_ = c.ModelReady(ctx, "diamonds", v)
		_, _ = c.ModelMetadata(ctx, "diamonds", v)
		_, _ = c.Infer(ctx, "diamonds", v, req)
	}
	for i, r := range got {
		if !strings.HasPrefix(r.path, prefix+"/v2") {
			t.Errorf("request %s %s dropped the base URL's path prefix %s", r.method, r.path, prefix)
		}
		got[i].path = strings.TrimPrefix(r.path, prefix)
	}
	if len(got) != 9 {
		t.Fatalf("recorded %d requests, want 9", len(got))
	}
	return got
}
