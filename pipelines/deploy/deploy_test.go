package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferryml/ferry/pipelines/kubetest"
)

func TestDeployHealthy(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	began := time.Now()
	rep := mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	t.Logf("first deploy (v1, namespace created): %s", time.Since(began).Round(time.Millisecond))
	if rep.From != "" || rep.To != digestV1 {
		t.Errorf("first deploy: From, To = %q, %q; want \"\", %q", rep.From, rep.To, digestV1)
	}
	began = time.Now()
	rep = mustDeploy(t, c, request(ns, imageV2, objects(t, "", true)))
	t.Logf("second deploy (v1 → v2): %s", time.Since(began).Round(time.Millisecond))
	if rep.From != digestV1 || rep.To != digestV2 {
		t.Errorf("second deploy: From, To = %q, %q; want %q, %q", rep.From, rep.To, digestV1, digestV2)
	}
	if got := servedImage(t, c, ns, 5); got != imageV2 {
		t.Errorf("the Service serves %s, want %s", got, imageV2)
	}
	// The pinned kubectl agrees that the rollout is complete.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := c.Kubectl(ctx, "-n", ns, "rollout", "status", "deployment/diamonds", "--timeout=20s"); err != nil {
		t.Errorf("kubectl rollout status: %v", err)
	} else if !strings.Contains(string(out), "successfully rolled out") {
		t.Errorf("kubectl rollout status = %q, want successfully rolled out", out)
	}
	dep, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "diamonds", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if fm := managers(dep); !strings.Contains(fm, FieldManager) {
		t.Errorf("Deployment field managers = %s, want %q among them", fm, FieldManager)
	}
	if _, err := c.Client.CoordinationV1().Leases(ns).Get(ctx, LeaseName, metav1.GetOptions{}); err == nil {
		t.Errorf("Lease %s still exists after the deploy, want it released", LeaseName)
	}
}

func managers(dep *appsv1.Deployment) string {
	var m []string
	for _, f := range dep.ManagedFields {
		m = append(m, f.Manager)
	}
	return strings.Join(m, ",")
}

func TestDeployCanaryPromotes(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	req := request(ns, imageV2, objects(t, "", false))
	req.Strategy = Canary
	rep := mustDeploy(t, c, req)
	if rep.Analysis == nil || !rep.Analysis.Passed {
		t.Fatalf("analysis = %+v, want a passed analysis", rep.Analysis)
	}
	if got := servedImage(t, c, ns, 5); got != imageV2 {
		t.Errorf("the Service serves %s, want %s", got, imageV2)
	}
	if _, err := c.Client.AppsV1().Deployments(ns).Get(context.Background(), "diamonds-canary", metav1.GetOptions{}); err == nil {
		t.Errorf("Deployment diamonds-canary still exists after promotion")
	}
}

// faultCase is a deploy of v2 that must fail and be rolled back to v1.
type faultCase struct {
	name     string
	fault    string // pod label, see kubetest.Fault* and the fake server's faults
	strategy Strategy
	image    string
	timeout  time.Duration
	step     string // the step that must fail
	edit     func(*Request)
	opts     []Option
}

var faultCases = []faultCase{
	{name: "never ready", fault: kubetest.FaultNeverReady, timeout: 3 * time.Second, step: "rollout"},
	{name: "crash loop", fault: kubetest.FaultCrashLoop, step: "rollout"},
	{name: "missing image", fault: kubetest.FaultImagePull, step: "rollout"},
	{name: "failing smoke", fault: faultSmoke, step: "smoke"},
	{name: "slow", fault: kubetest.FaultSlow, timeout: 3 * time.Second, step: "rollout"},
	{name: "progress deadline", fault: kubetest.FaultNeverReady, step: "rollout", edit: func(r *Request) {
		for _, o := range r.Objects {
			if o.GetKind() == "Deployment" {
				o.Object["spec"].(map[string]any)["progressDeadlineSeconds"] = int64(2)
			}
		}
	}},
	// The smoke test without an expected answer lets the canary through to the analysis,
	// which compares it with the stable pod.
	{name: "canary predictions", fault: faultPrediction, strategy: Canary, step: "analysis",
		opts: []Option{WithSmoker(OIP{Model: "diamonds", Request: modelCheck().Request})}},
	{name: "canary latency", fault: faultLatency, strategy: Canary, step: "analysis"},
}

// runFault deploys v1, then the faulty v2, and checks the rollback left the namespace as
// v1 left it and v1 serves again; it returns the v2 report.
func runFault(t *testing.T, c *kubetest.Cluster, ns string, fc faultCase) Report {
	t.Helper()
	before := state(t, c, ns)
	req := request(ns, imageV2, objects(t, fc.fault, true))
	req.Strategy = fc.strategy
	if fc.timeout > 0 {
		req.Timeout = fc.timeout
	}
	if fc.image != "" {
		req.Image = fc.image
	}
	if fc.edit != nil {
		fc.edit(&req)
	}
	rep, err := Deploy(context.Background(), c.Config, req, testOptions(fc.opts...)...)
	var de *Error
	if !errors.As(err, &de) || de.Step != fc.step {
		t.Fatalf("Deploy(%s) = %v, want a failure at step %q\n%s", fc.name, err, fc.step, rep.Markdown())
	}
	if !rep.RolledBack || !de.RolledBack {
		t.Fatalf("Deploy(%s): rolled back = %v, want true\n%s", fc.name, rep.RolledBack, rep.Markdown())
	}
	if after := state(t, c, ns); after != before {
		t.Errorf("Deploy(%s): namespace after the rollback differs:\n%s", fc.name, lineDiff(before, after))
	}
	if got := servedImage(t, c, ns, 3); got != imageV1 {
		t.Errorf("Deploy(%s): after the rollback the Service serves %s, want %s", fc.name, got, imageV1)
	}
	return rep
}

func TestDeployFaultsRollBack(t *testing.T) {
	c := cluster(t)
	for _, fc := range faultCases {
		t.Run(fc.name, func(t *testing.T) {
			t.Parallel()
			ns := namespace(t)
			mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
			rep := runFault(t, c, ns, fc)
			t.Logf("%s: failure detected → v1 serving again in %s (%s)", fc.name, rep.Recovery.Round(time.Millisecond), rep.Reason)
		})
	}
}

func TestDeployFirstVersionFailsRemovesEverything(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	req := request(ns, imageV1, objects(t, kubetest.FaultCrashLoop, false))
	rep, err := Deploy(context.Background(), c.Config, req, testOptions()...)
	if err == nil || !rep.RolledBack {
		t.Fatalf("Deploy(crash loop, first version) = %v, rolled back %v; want a rolled back failure", err, rep.RolledBack)
	}
	if got := state(t, c, ns); got != "ServiceAccount default" {
		t.Errorf("namespace after rolling back a first deploy:\n%s\nwant only the default ServiceAccount", got)
	}
}

func TestDeployRefusesUnverifiedImage(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	before := state(t, c, ns)
	rep, err := Deploy(context.Background(), c.Config, request(ns, badImage, objects(t, "", true)), testOptions()...)
	var de *Error
	if !errors.As(err, &de) || de.Step != "verify" || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("Deploy(unsigned image) = %v, want a failure at verify naming the signature", err)
	}
	if rep.RolledBack {
		t.Errorf("Deploy(unsigned image): rolled back, want nothing applied to roll back")
	}
	if after := state(t, c, ns); after != before {
		t.Errorf("Deploy(unsigned image) changed the namespace:\n%s", lineDiff(before, after))
	}
	_, err = Deploy(context.Background(), c.Config, request(ns, imageV2, objects(t, "", false)),
		WithSmoker(modelCheck())) // no verifier
	if !errors.As(err, &de) || de.Step != "verify" {
		t.Errorf("Deploy without a verifier = %v, want a refusal at verify", err)
	}
}

func TestDeployBadObjectChangesNothing(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	before := state(t, c, ns)
	objs := objects(t, "", true)
	for _, o := range objs {
		if o.GetKind() == "Service" {
			o.Object["spec"].(map[string]any)["ports"].([]any)[0].(map[string]any)["port"] = int64(99999)
		}
	}
	_, err := Deploy(context.Background(), c.Config, request(ns, imageV2, objs), testOptions()...)
	if err == nil || !strings.Contains(err.Error(), "Service "+ns+"/diamonds") || !strings.Contains(err.Error(), "99999") {
		t.Fatalf("Deploy(invalid Service) = %v, want an error naming Service %s/diamonds and the API's message", err, ns)
	}
	if after := state(t, c, ns); after != before {
		t.Errorf("Deploy(invalid Service) changed the namespace:\n%s", lineDiff(before, after))
	}
}

func TestDeployProductionNeedsApproval(t *testing.T) {
	req := request("prod-ns", imageV2, objects(t, "", false))
	req.Env = Production
	rep, err := Deploy(context.Background(), nil, req, testOptions()...)
	if err == nil || !strings.Contains(err.Error(), "--approve") {
		t.Fatalf("Deploy(production, no approval) = %v, want an error saying to pass --approve", err)
	}
	if len(rep.Steps) != 1 || rep.Steps[0].Result != Failed {
		t.Errorf("steps = %+v, want only the failed validate step", rep.Steps)
	}
}
