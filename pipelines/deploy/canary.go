package deploy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// TrackLabel tells stable pods from canary pods; the Service selects both.
const TrackLabel = "ferry.dev/track"

// canaryPlan is the canary Deployment and what its analysis found.
type canaryPlan struct {
	obj    *unstructured.Unstructured
	result *AnalysisResult
}

// newCanaryPlan makes <name>-canary from the rendered Deployment (new image already set):
// one replica, the same pod labels but TrackLabel=canary, in its selector too, so the
// Service sends it a share of the traffic and the stable ReplicaSets never adopt it.
func newCanaryPlan(p *plan) *canaryPlan {
	c := p.deployment.DeepCopy()
	c.SetName(p.deployment.GetName() + "-canary")
	l := c.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[TrackLabel] = "canary"
	c.SetLabels(l)
	_ = unstructured.SetNestedField(c.Object, int64(1), "spec", "replicas")
	_ = unstructured.SetNestedField(c.Object, "canary", "spec", "template", "metadata", "labels", TrackLabel)
	_ = unstructured.SetNestedField(c.Object, "canary", "spec", "selector", "matchLabels", TrackLabel)
	return &canaryPlan{obj: c}
}

// runCanary applies the canary beside the stable Deployment, checks and analyses it, then
// promotes the new image to the stable Deployment and removes the canary.
func (d *deployer) runCanary(ctx context.Context) (string, error) {
	c := d.canary
	name := c.obj.GetName()
	steps := []struct {
		name string
		f    func(context.Context) (string, error)
	}{
		{"apply canary", func(ctx context.Context) (string, error) {
			objs := append(d.nonDeployment(), c.obj)
			return fmt.Sprintf("%d objects, Deployment %s", len(objs), name), d.applyAll(ctx, objs, false)
		}},
		{"rollout canary", func(ctx context.Context) (string, error) { return d.waitRollout(ctx, name) }},
		{"smoke canary", func(ctx context.Context) (string, error) {
			base, _, err := d.podURL(ctx, c.obj)
			if err != nil {
				return "", err
			}
			return d.smoke(ctx, base)
		}},
		{"analysis", d.analyse},
		{"promote", func(ctx context.Context) (string, error) {
			if err := d.applyAll(ctx, d.p.objects, false); err != nil {
				return "", err
			}
			return d.waitRollout(ctx, d.p.deployment.GetName())
		}},
		{"remove canary", func(ctx context.Context) (string, error) {
			ips, err := d.podIPs(ctx, c.obj)
			if err != nil {
				return "", err
			}
			if err := d.remove(ctx, c.obj); err != nil {
				return "", err
			}
			// Until the Service's endpoints drop the canary's pods, some requests
			// through it would still reach a pod that is going away.
			return d.drain(ctx, ips)
		}},
		{"smoke", func(ctx context.Context) (string, error) { return d.smoke(ctx, d.serviceURL()) }},
	}
	for _, s := range steps {
		if err := d.step(ctx, s.name, s.f); err != nil {
			return s.name, err
		}
	}
	return "", nil
}

// analyse compares a stable pod and the canary pod over the analysis window.
func (d *deployer) analyse(ctx context.Context) (string, error) {
	if d.o.prober == nil {
		return "", errors.New("no analysis prober: the canary strategy needs one (deploy.WithProber; the CLI's --request)")
	}
	canaryURL, canaryPod, err := d.podURL(ctx, d.canary.obj)
	if err != nil {
		return "", err
	}
	stableURL, stablePod, err := d.podURL(ctx, d.p.deployment)
	if err != nil {
		return "", err
	}
	res := d.o.analysis.run(ctx, d.o.prober, d.hc, stableURL, canaryURL)
	res.StablePod, res.CanaryPod = stablePod, canaryPod
	d.canary.result, d.rep.Analysis = &res, &res
	if !res.Passed {
		return "", fmt.Errorf("canary analysis failed: %s", res.summary())
	}
	return res.summary(), nil
}

// podURL returns the pod proxy URL of a Ready pod of dep (for the stable Deployment, one
// that is not a canary) and the pod's name.
func (d *deployer) podURL(ctx context.Context, dep *unstructured.Unstructured) (string, string, error) {
	ml, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "selector", "matchLabels")
	sel := labels.SelectorFromSet(ml)
	if ml[TrackLabel] != "canary" {
		req, _ := labels.NewRequirement(TrackLabel, "!=", []string{"canary"})
		sel = sel.Add(*req)
	}
	pods, err := d.readyPods(ctx, sel)
	if err != nil {
		return "", "", err
	}
	if len(pods) == 0 {
		return "", "", fmt.Errorf("no Ready pod of Deployment %s (selector %s)", dep.GetName(), sel)
	}
	pod := pods[rand.IntN(len(pods))]
	port, err := containerPort(&pod, d.p.Container, d.p.Port)
	if err != nil {
		return "", "", err
	}
	return PodProxyURL(d.cfg.Host, d.p.Namespace, pod.Name, port), pod.Name, nil
}

// remove deletes o, its dependents in the background; absent is fine.
func (d *deployer) remove(ctx context.Context, o *unstructured.Unstructured) error {
	ri, err := d.resource(o)
	if err != nil {
		return err
	}
	return d.retry(ctx, "deleting "+describe(o), func(ctx context.Context) error {
		err := ri.Delete(ctx, o.GetName(), metav1.DeleteOptions{PropagationPolicy: ptr(metav1.DeletePropagationBackground)})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}
