package deploy

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// FieldManager is the server-side apply field manager of every change Deploy makes.
//
// Applies force conflicts: the rendered manifests are the source of truth for every field
// they set, so a field another manager changed by hand (kubectl edit, kubectl scale) is
// taken back, and that manager loses it. Fields the manifests do not set are left alone.
const FieldManager = "ferry"

// applyAll applies objs in order with server-side apply. With dryRun the API server
// validates and admits each object without storing it: a bad object fails here, before
// anything changed. A failure names the object and carries the API server's message.
func (d *deployer) applyAll(ctx context.Context, objs []*unstructured.Unstructured, dryRun bool) error {
	for _, o := range objs {
		if err := d.apply(ctx, o, dryRun); err != nil {
			return err
		}
	}
	return nil
}

func (d *deployer) apply(ctx context.Context, o *unstructured.Unstructured, dryRun bool) error {
	ri, err := d.resource(o)
	if err != nil {
		return err
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return d.retry(ctx, "applying "+describe(o), func(ctx context.Context) error {
		_, err := ri.Apply(ctx, o.GetName(), o, opts)
		return err
	})
}

// resource returns the dynamic client for o's kind in o's namespace.
func (d *deployer) resource(o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := o.GroupVersionKind()
	m, err := d.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: the API server does not serve %s: %w", describe(o), gvk, err)
	}
	if m.Scope.Name() == "namespace" {
		return d.dyn.Resource(m.Resource).Namespace(o.GetNamespace()), nil
	}
	return d.dyn.Resource(m.Resource), nil
}

// ensureNamespace applies the manifests' Namespace, or creates a bare one if missing.
func (d *deployer) ensureNamespace(ctx context.Context) (string, error) {
	if d.p.nsObject != nil {
		return "applied " + d.p.Namespace, d.apply(ctx, d.p.nsObject, false)
	}
	var created bool
	err := d.retry(ctx, "creating namespace "+d.p.Namespace, func(ctx context.Context) error {
		_, err := d.kube.CoreV1().Namespaces().Get(ctx, d.p.Namespace, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return err
		}
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: d.p.Namespace}}
		_, err = d.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: FieldManager})
		created = err == nil
		if apierrors.IsAlreadyExists(err) {
			return nil
		}
		return err
	})
	if created {
		return "created " + d.p.Namespace, err
	}
	return d.p.Namespace + " exists", err
}

// toApply is what the deploy will apply: the objects, and the canary Deployment if any.
func (d *deployer) toApply() []*unstructured.Unstructured {
	if d.canary == nil {
		return d.p.objects
	}
	return append(d.nonDeployment(), d.canary.obj)
}

// nonDeployment is the objects but the stable Deployment.
func (d *deployer) nonDeployment() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range d.p.objects {
		if o != d.p.deployment {
			out = append(out, o)
		}
	}
	return out
}

// toJSON is json.Marshal for objects that always marshal.
func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
