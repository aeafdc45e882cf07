package manifest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// rendered is one overlay's objects decoded strictly into their API types:
// an unknown or misspelt field fails the decoding.
type rendered struct {
	ns      *corev1.Namespace
	deploy  *appsv1.Deployment
	svc     *corev1.Service
	sa      *corev1.ServiceAccount
	cm      *corev1.ConfigMap
	pdb     *policyv1.PodDisruptionBudget
	netpol  *networkingv1.NetworkPolicy
	objects []*unstructured.Unstructured
}

func decode(t *testing.T, env string) rendered {
	t.Helper()
	out, err := Render(context.Background(), manifestsDir, env, fakeImage)
	if err != nil {
		t.Fatalf("Render(%s) = %v", env, err)
	}
	objs, err := Objects(out)
	if err != nil {
		t.Fatalf("Objects(Render(%s)) = %v", env, err)
	}
	r := rendered{objects: objs}
	for _, u := range objs {
		var into any
		switch u.GetAPIVersion() + " " + u.GetKind() {
		case "v1 Namespace":
			r.ns = &corev1.Namespace{}
			into = r.ns
		case "apps/v1 Deployment":
			r.deploy = &appsv1.Deployment{}
			into = r.deploy
		case "v1 Service":
			r.svc = &corev1.Service{}
			into = r.svc
		case "v1 ServiceAccount":
			r.sa = &corev1.ServiceAccount{}
			into = r.sa
		case "v1 ConfigMap":
			r.cm = &corev1.ConfigMap{}
			into = r.cm
		case "policy/v1 PodDisruptionBudget":
			r.pdb = &policyv1.PodDisruptionBudget{}
			into = r.pdb
		case "networking.k8s.io/v1 NetworkPolicy":
			r.netpol = &networkingv1.NetworkPolicy{}
			into = r.netpol
		default:
			t.Fatalf("%s: unexpected object %s %s", env, u.GetKind(), u.GetName())
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
			t.Errorf("%s: %s %s does not decode strictly: %v", env, u.GetKind(), u.GetName(), err)
		}
	}
	if r.ns == nil || r.deploy == nil || r.svc == nil || r.sa == nil || r.cm == nil || r.pdb == nil || r.netpol == nil {
		t.Fatalf("%s: want Namespace, Deployment, Service, ServiceAccount, ConfigMap, PDB and NetworkPolicy, got %d objects", env, len(objs))
	}
	return r
}

// Every overlay renders the objects the deploy step and the cluster rely on,
// with the environment's settings and the image by digest.
func TestOverlaysRender(t *testing.T) {
	want := map[string]struct {
		replicas, minAvailable int32
		debug, workers         string // MLSERVER_PARALLEL_WORKERS stays 0: see manifests/README.md
	}{
		"dev":        {1, 0, "true", "0"},
		"staging":    {2, 1, "false", "0"},
		"production": {3, 2, "false", "0"},
	}
	for _, env := range envs {
		t.Run(env, func(t *testing.T) {
			r := decode(t, env)
			w := want[env]
			ns := "ferry-" + env
			for _, u := range r.objects {
				if u.GetKind() != "Namespace" && u.GetNamespace() != ns {
					t.Errorf("%s %s namespace = %q, want %q", u.GetKind(), u.GetName(), u.GetNamespace(), ns)
				}
			}
			if r.ns.Name != ns || r.ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
				t.Errorf("Namespace = %s %v, want %s enforcing restricted", r.ns.Name, r.ns.Labels, ns)
			}
			d := r.deploy
			if got := *d.Spec.Replicas; got != w.replicas {
				t.Errorf("replicas = %d, want %d", got, w.replicas)
			}
			if got := r.pdb.Spec.MinAvailable.IntValue(); int32(got) != w.minAvailable {
				t.Errorf("PDB minAvailable = %d, want %d", got, w.minAvailable)
			}
			if r.cm.Data["MLSERVER_DEBUG"] != w.debug || r.cm.Data["MLSERVER_PARALLEL_WORKERS"] != w.workers {
				t.Errorf("config = %v, want MLSERVER_DEBUG=%s MLSERVER_PARALLEL_WORKERS=%s", r.cm.Data, w.debug, w.workers)
			}
			checkDeployment(t, r)
			checkSelectors(t, r)
		})
	}
}

func checkDeployment(t *testing.T, r rendered) {
	t.Helper()
	d := r.deploy
	if d.Spec.ProgressDeadlineSeconds == nil || d.Spec.RevisionHistoryLimit == nil ||
		d.Spec.Strategy.RollingUpdate == nil || d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("Deployment strategy = %+v, progressDeadlineSeconds %v, revisionHistoryLimit %v; want maxUnavailable 0 and both set",
			d.Spec.Strategy, d.Spec.ProgressDeadlineSeconds, d.Spec.RevisionHistoryLimit)
	}
	pod := d.Spec.Template.Spec
	if pod.ServiceAccountName != r.sa.Name || r.sa.AutomountServiceAccountToken == nil || *r.sa.AutomountServiceAccountToken {
		t.Errorf("service account %q (automount %v), want %q without a token", pod.ServiceAccountName, r.sa.AutomountServiceAccountToken, r.sa.Name)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("containers = %d, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.Image != fakeImage {
		t.Errorf("image = %q, want %q", c.Image, fakeImage)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != r.cm.Name {
		t.Errorf("envFrom = %+v, want the generated ConfigMap %s", c.EnvFrom, r.cm.Name)
	}
	sc := c.SecurityContext
	if sc == nil || pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
		sc.RunAsUser == nil || *sc.RunAsUser != 1000 || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil ||
		fmt.Sprint(sc.Capabilities.Drop) != "[ALL]" || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("securityContext = %+v, pod %+v; want non-root uid 1000, read-only root, no escalation, drop ALL, RuntimeDefault seccomp", sc, pod.SecurityContext)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[res], c.Resources.Limits[res]
		if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("resources = %+v, want %s requests and limits, requests ≤ limits", c.Resources, res)
		}
	}
	// Readiness is the model's own (OIP v2 model ready): MLServer's
	// /v2/health/ready is true while no model is registered.
	probes := map[string]*corev1.Probe{"/v2/health/live": c.LivenessProbe, "/v2/models/diamonds/ready": c.ReadinessProbe}
	for path, p := range probes {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
			t.Errorf("probe %s = %+v, want GET %s on port http", path, p, path)
		}
	}
	if c.StartupProbe == nil || c.StartupProbe.HTTPGet == nil || c.StartupProbe.HTTPGet.Path != "/v2/health/live" {
		t.Errorf("startupProbe = %+v, want GET /v2/health/live", c.StartupProbe)
	}
	// MLServer listens where the container ports say.
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	for name, setting := range map[string]string{"http": "MLSERVER_HTTP_PORT", "grpc": "MLSERVER_GRPC_PORT", "metrics": "MLSERVER_METRICS_PORT"} {
		if ports[name] == 0 || env[setting] != fmt.Sprint(ports[name]) {
			t.Errorf("port %s = %d, %s = %q; want them equal", name, ports[name], setting, env[setting])
		}
	}
	if ports["http"] != 8080 || env["MLSERVER_HOST"] != "0.0.0.0" {
		t.Errorf("http port %d on %q, want 8080 on 0.0.0.0", ports["http"], env["MLSERVER_HOST"])
	}
	// MLServer writes its .envs and .metrics folders and Python its temp
	// files: all must land on the writable /tmp volume.
	tmp := false
	for _, m := range c.VolumeMounts {
		tmp = tmp || m.MountPath == "/tmp"
	}
	for _, k := range []string{"MLSERVER_ENVIRONMENTS_DIR", "MLSERVER_METRICS_DIR"} {
		if !strings.HasPrefix(r.cm.Data[k], "/tmp/") {
			t.Errorf("%s = %q, want a folder under the /tmp volume", k, r.cm.Data[k])
		}
	}
	if !tmp {
		t.Errorf("volumeMounts = %+v, want /tmp writable", c.VolumeMounts)
	}
}

// The Deployment selects only its own track; the Service, the PDB and the
// NetworkPolicy select every diamonds pod, so a canary Deployment
// (ferry.dev/track=canary) shares them.
func checkSelectors(t *testing.T, r rendered) {
	t.Helper()
	podLabels := labels.Set(r.deploy.Spec.Template.Labels)
	canary := labels.Set{}
	for k, v := range podLabels {
		canary[k] = v
	}
	canary["ferry.dev/track"] = "canary"
	sel := r.deploy.Spec.Selector.MatchLabels
	if sel["ferry.dev/track"] != "stable" || !labels.SelectorFromSet(sel).Matches(podLabels) || labels.SelectorFromSet(sel).Matches(canary) {
		t.Errorf("Deployment selector %v: want it to match its pods %v and not canary pods", sel, podLabels)
	}
	shared := map[string]map[string]string{
		"Service":       r.svc.Spec.Selector,
		"PDB":           r.pdb.Spec.Selector.MatchLabels,
		"NetworkPolicy": r.netpol.Spec.PodSelector.MatchLabels,
	}
	for what, s := range shared {
		if len(s) == 0 || !labels.SelectorFromSet(s).Matches(podLabels) || !labels.SelectorFromSet(s).Matches(canary) {
			t.Errorf("%s selector %v: want it to match stable %v and canary pods", what, s, podLabels)
		}
	}
	if len(r.svc.Spec.Ports) != 1 || r.svc.Spec.Ports[0].Name != "http" || r.svc.Spec.Ports[0].Port != 80 || r.svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("Service ports = %+v, want http 80 → http", r.svc.Spec.Ports)
	}
}

func TestObjects(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // kind/name
		err      string
	}{
		{"two with empty documents", "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n", []string{"ConfigMap/a", "Service/b"}, ""},
		{"nothing", "", nil, ""},
		{"no kind", "apiVersion: v1\nmetadata:\n  name: a\n", nil, "object 1: want apiVersion, kind and metadata.name"},
		{"bad yaml", "apiVersion: v1\nkind: [\n", nil, "reading object 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := Objects([]byte(tt.in))
			var got []string
			for _, o := range objs {
				got = append(got, o.GetKind()+"/"+o.GetName())
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("Objects(%q) = %v, want an error containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Objects(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}
