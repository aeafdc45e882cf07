package harbortest_test

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/harbor"
	"github.com/ferryml/ferry/pipelines/harbor/harbortest"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// Every route the fake registers is in Harbor's contract: path, method,
// operationId, path/query/header parameters, request body fields, response
// statuses, headers and body fields.
func TestRoutesMatchContract(t *testing.T) {
	doc := loadSwagger(t)
	for _, rt := range harbortest.Routes() {
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			op := doc.operation(rt.Path, rt.Method)
			if op == nil {
				t.Fatalf("%s %s is not in the contract", rt.Method, rt.Path)
			}
			if op["operationId"] != rt.OperationID {
				t.Errorf("operationId = %v, the fake says %s", op["operationId"], rt.OperationID)
			}
			params := doc.params(op)
			for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
				if params["path "+m[1]] == nil {
					t.Errorf("path parameter %s is not declared", m[1])
				}
			}
			for _, q := range rt.Query {
				if params["query "+q] == nil {
					t.Errorf("query parameter %s is not in the contract", q)
				}
			}
			for _, h := range rt.Headers {
				if params["header "+h] == nil {
					t.Errorf("header parameter %s is not in the contract", h)
				}
			}
			if rt.Body != nil {
				body := bodyParam(params)
				if body == nil {
					t.Errorf("the fake reads a body; the contract declares none")
				} else {
					report(t, doc.checkType(typeOf(rt.Body), body["schema"], "request"))
				}
			}
			for status, typ := range rt.Responses {
				resp := doc.response(op, status)
				if resp == nil {
					if why := rt.Undeclared[status]; why == "" {
						t.Errorf("status %d is not in the contract (and not listed as Undeclared with a reason)", status)
						continue
					}
					resp = doc.deref(map[string]any{"$ref": "#/responses/" + itoa(status)})
				} else if rt.Undeclared[status] != "" {
					t.Errorf("status %d is declared: remove it from Undeclared", status)
				}
				if typ != nil {
					if resp["schema"] == nil {
						t.Errorf("status %d has a body in the fake, none in the contract", status)
					} else {
						report(t, doc.checkType(typeOf(typ), resp["schema"], "response "+itoa(status)))
					}
				}
				headers, _ := resp["headers"].(map[string]any)
				for _, h := range rt.ResponseHeaders[status] {
					if headers[h] == nil {
						t.Errorf("response header %s on %d is not in the contract", h, status)
					}
				}
			}
		})
	}
}

// Every request the adapter sent and every answer the fake gave, while
// driving all of the adapter's operations, fits the contract.
func TestTrafficMatchesContract(t *testing.T) {
	doc := loadSwagger(t)
	srv := harbortest.New("admin", "Harbor12345")
	defer srv.Close()
	drive(t, srv)

	routes := map[string]harbortest.Route{}
	for _, rt := range harbortest.Routes() {
		routes[rt.Method+" "+rt.Path] = rt
	}
	used := map[string]bool{}
	for i, ex := range srv.Exchanges() {
		key := ex.Method + " " + ex.Route
		rt, ok := routes[key]
		if !ok {
			t.Errorf("exchange %d: %s answered %d: the adapter used a route the fake does not have", i, ex.Method, ex.Status)
			continue
		}
		used[key] = true
		op := doc.operation(rt.Path, rt.Method)
		params := doc.params(op)
		for q := range ex.Query {
			if params["query "+q] == nil {
				t.Errorf("exchange %d (%s): query parameter %s is not in the contract", i, key, q)
			}
		}
		for h := range ex.Header {
			if strings.HasPrefix(h, "X-") && params["header "+h] == nil {
				t.Errorf("exchange %d (%s): header %s is not in the contract", i, key, h)
			}
		}
		if len(ex.RequestBody) > 0 {
			if body := bodyParam(params); body == nil {
				t.Errorf("exchange %d (%s): sent a body; the contract declares none", i, key)
			} else {
				report(t, doc.checkValue(decodeJSON(t, ex.RequestBody), body["schema"], key+" request"))
			}
		}
		resp := doc.response(op, ex.Status)
		if resp == nil && rt.Undeclared[ex.Status] == "" {
			t.Errorf("exchange %d (%s): status %d is not in the contract", i, key, ex.Status)
			continue
		}
		if resp == nil {
			resp = doc.deref(map[string]any{"$ref": "#/responses/" + itoa(ex.Status)})
		}
		if len(ex.ResponseBody) > 0 {
			report(t, doc.checkValue(decodeJSON(t, ex.ResponseBody), resp["schema"], key+" response "+itoa(ex.Status)))
		}
	}
	for key := range routes {
		if !used[key] {
			t.Errorf("route %s was never exercised: drive() must cover every route", key)
		}
	}
}

// drive calls every adapter operation, including failing ones.
func drive(t *testing.T, srv *harbortest.Server) {
	ctx := context.Background()
	c, err := harbor.New(srv.URL, harbor.Credentials{Username: "admin", Password: "Harbor12345"})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.EnsureProject(ctx, "ferry", false)
	must(err)
	_, err = c.EnsureProject(ctx, "ferry", false)
	must(err)
	_, err = c.SetRetention(ctx, "ferry", 5, "v*")
	must(err)
	_, err = c.SetRetention(ctx, "ferry", 3, "")
	must(err)
	must(srv.AddArtifact("ferry", "models/diamonds", "sha256:"+strings.Repeat("ab", 32), []string{"v1"},
		harbortest.Findings{Counts: map[string]int64{"High": 2, "Low": 1}, Fixable: 1}))
	must(c.TriggerScan(ctx, "ferry", "models/diamonds", "v1"))
	for i := 0; i < 3; i++ {
		_, err = c.ScanOverview(ctx, "ferry", "models/diamonds", "v1")
		must(err)
	}
	if _, err := c.ScanOverview(ctx, "ferry", "models/diamonds", "v404"); !harbor.IsNotFound(err) {
		t.Errorf("ScanOverview(missing) error = %v, want not found", err)
	}
	if err := c.TriggerScan(ctx, "ferry", "models/diamonds", "v404"); !harbor.IsNotFound(err) {
		t.Errorf("TriggerScan(missing) error = %v, want not found", err)
	}
	bad, err := harbor.New(srv.URL, harbor.Credentials{Username: "admin", Password: "wrong"})
	must(err)
	if _, err := bad.EnsureProject(ctx, "ferry", false); !harbor.IsUnauthorized(err) {
		t.Errorf("EnsureProject(bad credentials) error = %v, want unauthorized", err)
	}
}

func bodyParam(params map[string]map[string]any) map[string]any {
	for k, p := range params {
		if strings.HasPrefix(k, "body ") {
			return p
		}
	}
	return nil
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Errorf("body %q is not JSON: %v", b, err)
	}
	return v
}

func report(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

func itoa(status int) string { return strconv.Itoa(status) }

func typeOf(v any) reflect.Type { return reflect.TypeOf(v) }
