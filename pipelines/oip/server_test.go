package oip

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/oip/mlservertest"
)

func TestHealthAndMetadata(t *testing.T) {
	srv := realServer(t)
	c, ctx, m := newClient(t, srv.URL), testCtx(t), srv.Model
	for name, err := range map[string]error{
		"Live": c.Live(ctx), "Ready": c.Ready(ctx),
		"ModelReady(unversioned)": c.ModelReady(ctx, m.Name, ""),
		"ModelReady(versioned)":   c.ModelReady(ctx, m.Name, m.Version),
	} {
		if err != nil {
			t.Errorf("%s = %v, want nil", name, err)
		}
	}
	smd, err := c.ServerMetadata(ctx)
	if err != nil || smd.Name != "mlserver" || smd.Version != mlservertest.MLServerVersion {
		t.Errorf("ServerMetadata() = %+v, %v; want mlserver %s", smd, err, mlservertest.MLServerVersion)
	}
	for _, v := range []string{"", m.Version} {
		md, err := c.ModelMetadata(ctx, m.Name, v)
		if err != nil {
			t.Fatalf("ModelMetadata(%q, %q) = %v", m.Name, v, err)
		}
		var inputs, outputs []string
		for _, in := range md.Inputs {
			inputs = append(inputs, in.Name)
		}
		for _, o := range md.Outputs {
			outputs = append(outputs, o.Name)
		}
		for _, in := range readRequest(t).Inputs {
			if !slices.Contains(inputs, in.Name) {
				t.Errorf("ModelMetadata(%q).Inputs = %v, lacks the request's input %q", v, inputs, in.Name)
			}
		}
		if md.Name != m.Name || !slices.Equal(outputs, []string{"predict", "predict_proba"}) {
			t.Errorf("ModelMetadata(%q) = name %q outputs %v, want %q [predict predict_proba]", v, md.Name, outputs, m.Name)
		}
	}
}

func TestNotFoundAndNotReady(t *testing.T) {
	srv := realServer(t)
	c, ctx := newClient(t, srv.URL), testCtx(t)
	for _, tt := range []struct{ name, version string }{{"nope", ""}, {srv.Model.Name, "nope"}} {
		err := c.ModelReady(ctx, tt.name, tt.version)
		if !IsNotFound(err) || !IsNotReady(err) || !strings.Contains(err.Error(), "not found") {
			t.Errorf("ModelReady(%q, %q) = %v, want a 404 that IsNotReady and says not found", tt.name, tt.version, err)
		}
		if _, err := c.ModelMetadata(ctx, tt.name, tt.version); !IsNotFound(err) {
			t.Errorf("ModelMetadata(%q, %q) = %v, want a 404", tt.name, tt.version, err)
		}
	}
}

func TestInferGivesTheExpectedClasses(t *testing.T) {
	srv := realServer(t)
	c, ctx, m := newClient(t, srv.URL), testCtx(t), srv.Model
	req := readRequest(t)
	b, err := os.ReadFile(testdataDir + "/infer-expected.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseExpected(b, req)
	if err != nil {
		t.Fatal(err)
	}
	req.ID = "ferry-test-42"
	for _, v := range []string{"", m.Version} {
		got, err := c.Infer(ctx, m.Name, v, req)
		if err != nil {
			t.Fatalf("Infer(%q, %q) = %v", m.Name, v, err)
		}
		if err := Compare(got, want, 1e-6); err != nil {
			t.Errorf("Infer(%q, %q) differs from infer-expected.json:\n%v", m.Name, v, err)
		}
		proba, ok := got.Output("predict_proba")
		if !ok || !slices.Equal(proba.Shape, []int64{3, 5}) || got.ID != req.ID || got.ModelVersion != m.Version {
			t.Errorf("Infer(%q, %q) = id %q version %q predict_proba %+v; want id %q, version %q, shape [3 5]",
				m.Name, v, got.ID, got.ModelVersion, proba, req.ID, m.Version)
		}
		// The answer compared with itself within 0 passes; a changed probability fails.
		if err := Compare(got, got, 0); err != nil {
			t.Errorf("Compare(answer, answer, 0) = %v", err)
		}
		moved := got
		moved.Outputs = slices.Clone(got.Outputs)
		for i, o := range moved.Outputs {
			if o.Name == "predict_proba" {
				vals := o.Values()
				vals[4] = 0.5
				moved.Outputs[i].Data = vals
			}
		}
		if err := Compare(got, moved, 1e-6); err == nil || !strings.Contains(err.Error(), `output "predict_proba"[4]`) {
			t.Errorf("Compare(answer, answer with predict_proba[4] = 0.5) = %v, want it to name predict_proba[4]", err)
		}
	}
}

// Through a path prefix, as a Kubernetes service-proxy URL has: the routes are joined
// onto the prefix, and errors name the full path.
func TestBaseURLWithPathPrefix(t *testing.T) {
	srv := realServer(t)
	const prefix = "/api/v1/namespaces/ns/services/diamonds:http/proxy"
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok {
			http.Error(w, "outside the proxy prefix", http.StatusNotFound)
			return
		}
		r.URL.Path, r.URL.RawPath = rest, ""
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c, ctx := newClient(t, ts.URL+prefix+"/"), testCtx(t)
	if err := c.ModelReady(ctx, srv.Model.Name, srv.Model.Version); err != nil {
		t.Errorf("ModelReady through the prefix = %v", err)
	}
	if _, err := c.Infer(ctx, srv.Model.Name, "", readRequest(t)); err != nil {
		t.Errorf("Infer through the prefix = %v", err)
	}
	err := c.ModelReady(ctx, "nope", "")
	if e, ok := err.(*Error); !ok || e.Path != prefix+"/v2/models/nope/ready" {
		t.Errorf("ModelReady(nope) through the prefix = %#v, want an *Error with path %s/v2/models/nope/ready", err, prefix)
	}
}
