package harbortest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// clientModule ships Harbor's API contract at api/v2.0/swagger.yaml.
const clientModule = "github.com/goharbor/go-client"

// swagger is Harbor's swagger.yaml as generic JSON values.
type swagger map[string]any

// loadSwagger reads swagger.yaml from the go-client module that go.mod pins,
// found in the module cache with `go list -m`.
func loadSwagger(t *testing.T) swagger {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go") // the toolchain running this test
	}
	out, err := exec.Command(goBin, "list", "-m", "-json", clientModule).Output()
	if err != nil {
		t.Fatalf("finding %s with go list -m: %v", clientModule, err)
	}
	var mod struct{ Version, Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go list -m -json %s gave no module directory (%v): run go mod download %s", clientModule, err, clientModule)
	}
	path := filepath.Join(mod.Dir, "api", "v2.0", "swagger.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading Harbor's contract: %v", err)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	var doc swagger
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	t.Logf("contract: %s@%s api/v2.0/swagger.yaml", clientModule, mod.Version)
	return doc
}

// deref follows a "$ref" ("#/definitions/X", "#/parameters/X", "#/responses/X").
func (s swagger) deref(node any) map[string]any {
	m, _ := node.(map[string]any)
	for i := 0; m != nil && i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = map[string]any(s)
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[part]
		}
		m, _ = cur.(map[string]any)
	}
	return m
}

func (s swagger) operation(path, method string) map[string]any {
	paths, _ := s["paths"].(map[string]any)
	item := s.deref(paths[path])
	op, _ := item[strings.ToLower(method)].(map[string]any)
	return op
}

// params returns the operation's parameters by "in" and name.
func (s swagger) params(op map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := op["parameters"].([]any)
	for _, p := range list {
		pm := s.deref(p)
		in, _ := pm["in"].(string)
		name, _ := pm["name"].(string)
		out[in+" "+name] = pm
	}
	return out
}

// response returns the response declared for status, or nil.
func (s swagger) response(op map[string]any, status int) map[string]any {
	rs, _ := op["responses"].(map[string]any)
	return s.deref(rs[fmt.Sprint(status)])
}

// isFreeForm reports whether a schema is an object with no declared fields:
// swagger.yaml uses it for values Harbor treats as any JSON (rule params,
// trigger settings), so anything is accepted there.
func isFreeForm(schema map[string]any) bool {
	_, props := schema["properties"]
	_, extra := schema["additionalProperties"]
	return schema["type"] == "object" && !props && !extra
}

var timeType = reflect.TypeOf(time.Time{})

// checkType reports the JSON fields of Go type t that schema does not have,
// and kinds that differ.
func (s swagger) checkType(t reflect.Type, node any, where string) []string {
	schema := s.deref(node)
	if schema == nil {
		return []string{where + ": no schema in the contract"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	typ, _ := schema["type"].(string)
	switch {
	case t == timeType:
		return want(typ, "string", where)
	case t.Kind() == reflect.Interface || isFreeForm(schema):
		return nil
	case t.Kind() == reflect.Struct:
		props, ok := schema["properties"].(map[string]any)
		if !ok {
			return []string{where + ": the contract has no properties here"}
		}
		var bad []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p, ok := props[name]
			if !ok {
				bad = append(bad, fmt.Sprintf("%s.%s: field not in the contract (has %s)", where, name, keys(props)))
				continue
			}
			bad = append(bad, s.checkType(f.Type, p, where+"."+name)...)
		}
		return bad
	case t.Kind() == reflect.Map:
		extra, ok := schema["additionalProperties"]
		if !ok {
			return []string{where + ": a map, but the contract declares no additionalProperties"}
		}
		return s.checkType(t.Elem(), extra, where+"[*]")
	case t.Kind() == reflect.Slice:
		if bad := want(typ, "array", where); bad != nil {
			return bad
		}
		return s.checkType(t.Elem(), schema["items"], where+"[]")
	case t.Kind() == reflect.String:
		return want(typ, "string", where)
	case t.Kind() == reflect.Bool:
		return want(typ, "boolean", where)
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return want(typ, "integer", where)
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return want(typ, "number", where)
	}
	return []string{fmt.Sprintf("%s: Go type %s is not checked", where, t)}
}

// checkValue reports the keys of a decoded JSON value that schema does not
// have, and values of the wrong kind.
func (s swagger) checkValue(v any, node any, where string) []string {
	schema := s.deref(node)
	if schema == nil {
		return []string{where + ": no schema in the contract"}
	}
	if v == nil || isFreeForm(schema) {
		return nil
	}
	typ, _ := schema["type"].(string)
	switch x := v.(type) {
	case map[string]any:
		props, hasProps := schema["properties"].(map[string]any)
		extra, hasExtra := schema["additionalProperties"]
		var bad []string
		for k, val := range x {
			switch {
			case hasProps && props[k] != nil:
				bad = append(bad, s.checkValue(val, props[k], where+"."+k)...)
			case hasExtra:
				bad = append(bad, s.checkValue(val, extra, where+"."+k)...)
			default:
				bad = append(bad, fmt.Sprintf("%s.%s: field not in the contract", where, k))
			}
		}
		return bad
	case []any:
		if bad := want(typ, "array", where); bad != nil {
			return bad
		}
		var bad []string
		for i, item := range x {
			bad = append(bad, s.checkValue(item, schema["items"], fmt.Sprintf("%s[%d]", where, i))...)
		}
		return bad
	case string:
		return want(typ, "string", where)
	case bool:
		return want(typ, "boolean", where)
	case float64:
		if typ == "integer" && x != float64(int64(x)) {
			return []string{fmt.Sprintf("%s: %v is not an integer", where, x)}
		}
		if typ != "integer" && typ != "number" {
			return want(typ, "number", where)
		}
	}
	return nil
}

func want(got, want, where string) []string {
	if got != want {
		return []string{fmt.Sprintf("%s: the contract says %q, the fake uses %q", where, got, want)}
	}
	return nil
}

func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
