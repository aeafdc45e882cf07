package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/ferryml/ferry/pipelines/kubetest"
	"github.com/ferryml/ferry/pipelines/oip"
)

const (
	imageV1  = "registry.test/diamonds@" + digestV1
	imageV3  = "registry.test/diamonds@sha256:3333333333333333333333333333333333333333333333333333333333333333"
	badImage = "registry.test/diamonds@sha256:badbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbadbad0"
	// servedBy is the header the fake model server names its pod's image in.
	servedBy = "X-Served-By"
)

// Pod behaviours the fake model server takes from the pod label kubetest.FaultLabel, on
// top of the kwok faults (kubetest.Fault*), which decide whether the pod gets Ready.
const (
	faultSmoke      = "smoke-fail"        // health passes, inference answers 500
	faultPrediction = "wrong-predictions" // answers another class
	faultLatency    = "slow-responses"    // answers after 250ms
)

var podServer struct {
	once sync.Once
	err  error
}

// cluster returns the shared control plane with the fake model server on port 8080.
func cluster(t *testing.T) *kubetest.Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a control plane (-short)")
	}
	c := kubetest.Shared(t)
	podServer.once.Do(func() { _, podServer.err = c.ServePods(8080, fakeMLServer) })
	if podServer.err != nil {
		t.Fatal(podServer.err)
	}
	return c
}

// fakeMLServer plays MLServer for a kwok pod: it answers the OIP health and inference
// routes for model "diamonds", predicting "Premium" for every row unless the pod's fault
// label says otherwise, and names the pod's image in the servedBy header.
func fakeMLServer(pod *corev1.Pod) http.Handler {
	mux := http.NewServeMux()
	fault := pod.Labels[kubetest.FaultLabel]
	image := ""
	if len(pod.Spec.Containers) > 0 {
		image = pod.Spec.Containers[0].Image
	}
	ok := func(w http.ResponseWriter, _ *http.Request) { w.Header().Set(servedBy, image) }
	mux.HandleFunc("GET /v2/health/live", ok)
	mux.HandleFunc("GET /v2/health/ready", ok)
	infer := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(servedBy, image)
		w.Header().Set("Content-Type", "application/json")
		var req oip.InferenceRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Inputs) == 0 || len(req.Inputs[0].Shape) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error": "bad request: %v"}`, err)
			return
		}
		switch fault {
		case faultSmoke:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error": "model diamonds failed to load"}`)
			return
		case faultLatency:
			time.Sleep(250 * time.Millisecond)
		}
		label := "Premium"
		if fault == faultPrediction {
			label = "Ideal"
		}
		rows := req.Inputs[0].Shape[0]
		data := make([]string, rows)
		for i := range data {
			data[i] = label
		}
		_ = json.NewEncoder(w).Encode(oip.InferenceResponse{ModelName: "diamonds", Outputs: []oip.ResponseOutput{
			{Name: "predict", Shape: []int64{rows, 1}, Datatype: "BYTES", Data: data}}})
	}
	mux.HandleFunc("POST /v2/models/diamonds/infer", infer)
	mux.HandleFunc("POST /v2/models/diamonds/versions/{v}/infer", infer)
	return mux
}

// modelCheck is the OIP smoke test and probe the tests deploy with.
func modelCheck() OIP {
	want := oip.InferenceResponse{ModelName: "diamonds", Outputs: []oip.ResponseOutput{
		{Name: "predict", Data: []any{"Premium", "Premium"}}}}
	return OIP{Model: "diamonds", Tolerance: 1e-9, Expected: &want, Request: oip.InferenceRequest{
		Inputs:  []oip.RequestInput{{Name: "carat", Shape: []int64{2, 1}, Datatype: "FP64", Data: []float64{0.3, 1.2}}},
		Outputs: []oip.RequestOutput{{Name: "predict"}},
	}}
}

// testVerifier refuses badImage, as a failed signature check would.
var testVerifier = VerifierFunc(func(_ context.Context, ref string) error {
	if ref == badImage {
		return fmt.Errorf("no valid signature for %s", ref)
	}
	return nil
})

// testOptions are fast settings for kwok; more options override them.
func testOptions(more ...Option) []Option {
	a := DefaultAnalysis()
	a.Requests, a.Interval = 8, 10*time.Millisecond
	// In-process pod servers answer in milliseconds, so one request delayed by a loaded
	// CI machine (115 ms seen) made a healthy canary's p95 look 2.3 times the stable one.
	// The injected slow canary answers after 250 ms: 2.5 times this floor, still failing.
	a.LatencyFloor = 100 * time.Millisecond
	return append([]Option{
		WithVerifier(testVerifier), WithSmoker(modelCheck()), WithProber(modelCheck()), WithAnalysis(a),
		WithReachWait(10 * time.Second), WithLock(20*time.Second, 5*time.Second),
		WithPollInterval(100 * time.Millisecond), WithRetries(8, 20*time.Millisecond, 300*time.Millisecond),
	}, more...)
}

// objects parses testdata/diamonds.yaml; fault (if any) goes into the pod template's
// labels, extra adds a ConfigMap the other versions do not have.
func objects(t *testing.T, fault string, extra bool) []*unstructured.Unstructured {
	t.Helper()
	objs, err := ParseObjects(manifests(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() != "Deployment" || fault == "" {
			continue
		}
		_ = unstructured.SetNestedField(o.Object, fault, "spec", "template", "metadata", "labels", kubetest.FaultLabel)
		if fault == kubetest.FaultSlow {
			_ = unstructured.SetNestedField(o.Object, "60s", "spec", "template", "metadata", "annotations", kubetest.ReadyAfter)
		}
	}
	if extra {
		cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "diamonds-v2-only"}, "data": map[string]any{"k": "v"}}}
		objs = append(objs, cm)
	}
	return objs
}

// request is a staging deploy of image into ns.
func request(ns, image string, objs []*unstructured.Unstructured) Request {
	return Request{Env: Staging, Namespace: ns, Objects: objs, Image: image, Timeout: 20 * time.Second}
}

var nsCount struct {
	sync.Mutex
	n int
}

// namespace returns a fresh namespace name for t (created by the first deploy).
func namespace(t *testing.T) string {
	nsCount.Lock()
	defer nsCount.Unlock()
	nsCount.n++
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("%s-%d", strings.Trim(name, "-"), nsCount.n)
}

// mustDeploy deploys and fails t unless the report says it worked.
func mustDeploy(t *testing.T, c *kubetest.Cluster, req Request, opts ...Option) Report {
	t.Helper()
	rep, err := Deploy(context.Background(), c.Config, req, testOptions(opts...)...)
	if err != nil || !rep.OK() {
		md := rep.Markdown()
		t.Fatalf("Deploy(%s, %s) = %v\n%s", req.Namespace, req.Image, err, md)
	}
	return rep
}

// state is what a rollback must restore: every Deployment's and Service's metadata
// labels and spec, every ConfigMap's data, the ServiceAccounts and Leases by name.
func state(t *testing.T, c *kubetest.Cluster, ns string) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	deps, err := c.Client.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deps.Items {
		lines = append(lines, fmt.Sprintf("Deployment %s labels=%v spec=%s", d.Name, d.Labels, toJSON(d.Spec)))
	}
	svcs, err := c.Client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs.Items {
		lines = append(lines, fmt.Sprintf("Service %s labels=%v spec=%s", s.Name, s.Labels, toJSON(s.Spec)))
	}
	cms, err := c.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, cm := range cms.Items {
		if cm.Name != "kube-root-ca.crt" {
			lines = append(lines, fmt.Sprintf("ConfigMap %s data=%v", cm.Name, cm.Data))
		}
	}
	sas, err := c.Client.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range sas.Items {
		lines = append(lines, "ServiceAccount "+sa.Name)
	}
	leases, err := c.Client.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leases.Items {
		lines = append(lines, "Lease "+l.Name)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// servedImage asks the Service (through the API server) which image answers, until n
// answers in a row name the same image or 10s pass; it returns that image.
func servedImage(t *testing.T, c *kubetest.Cluster, ns string, n int) string {
	t.Helper()
	hc, err := restHTTPClient(c)
	if err != nil {
		t.Fatal(err)
	}
	url := ServiceProxyURL(c.Config.Host, ns, "diamonds", "http") + "/v2/health/ready"
	deadline := time.Now().Add(10 * time.Second)
	last, streak := "", 0
	for time.Now().Before(deadline) {
		resp, err := hc.Get(url)
		img := ""
		if err == nil {
			img = resp.Header.Get(servedBy)
			resp.Body.Close()
		}
		if img != "" && img == last {
			streak++
		} else {
			last, streak = img, 1
		}
		if img != "" && streak >= n {
			return img
		}
		time.Sleep(50 * time.Millisecond)
	}
	return last + " (unsteady)"
}

func restHTTPClient(c *kubetest.Cluster) (*http.Client, error) { return rest.HTTPClientFor(c.Config) }
