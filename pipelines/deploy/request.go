package deploy

import (
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Strategy is how the new image reaches the stable Deployment.
type Strategy string

const (
	// Rolling updates the Deployment in place (its own rolling update).
	Rolling Strategy = "rolling"
	// Canary runs one pod of the new image beside the stable ones, compares them, then
	// updates the stable Deployment or removes the canary.
	Canary Strategy = "canary"
)

// Request is what to deploy where.
type Request struct {
	Env       string                       // dev, staging or production
	Namespace string                       // default: the namespace the objects name
	Objects   []*unstructured.Unstructured // rendered manifests (one Deployment, one Service)
	Image     string                       // name@sha256:…, set into the Deployment's container
	Container string                       // default: the Deployment's first container
	Port      string                       // the Service's and container's port name; default "http"
	Strategy  Strategy                     // default Rolling
	Approval  string                       // who approved; required for production
	Timeout   time.Duration                // for each rollout to finish; default 5m
	Version   string                       // the model version; the Promoter is called only if set
}

// plan is a checked Request with what Deploy derived from it.
type plan struct {
	Request
	objects    []*unstructured.Unstructured // copies, sorted in apply order, image set
	deployment *unstructured.Unstructured   // the one Deployment among objects
	service    *unstructured.Unstructured   // the one Service among objects
	nsObject   *unstructured.Unstructured   // the Namespace, if the manifests hold one
	digest     string
}

// check validates r and prepares the objects; it changes nothing in r.
func (r Request) check() (*plan, error) {
	if err := checkApproval(r.Env, r.Approval); err != nil {
		return nil, err
	}
	digest, err := Digest(r.Image)
	if err != nil {
		return nil, err
	}
	if r.Strategy == "" {
		r.Strategy = Rolling
	}
	if r.Strategy != Rolling && r.Strategy != Canary {
		return nil, fmt.Errorf("unknown strategy %q: use %q or %q", r.Strategy, Rolling, Canary)
	}
	if r.Port == "" {
		r.Port = "http"
	}
	if r.Timeout <= 0 {
		r.Timeout = 5 * time.Minute
	}
	if len(r.Objects) == 0 {
		return nil, errors.New("no objects to deploy: render the manifests first (ferry deploy --manifests DIR)")
	}
	p := &plan{Request: r, digest: digest}
	if p.Namespace, err = namespaceOf(r.Namespace, r.Objects); err != nil {
		return nil, err
	}
	if p.objects, p.nsObject, err = prepare(r.Objects, p.Namespace); err != nil {
		return nil, err
	}
	for _, o := range p.objects {
		switch o.GetKind() {
		case "Deployment":
			if p.deployment != nil {
				return nil, fmt.Errorf("the manifests hold two Deployments (%s, %s): deploy expects one", p.deployment.GetName(), o.GetName())
			}
			p.deployment = o
		case "Service":
			if p.service != nil {
				return nil, fmt.Errorf("the manifests hold two Services (%s, %s): deploy expects one", p.service.GetName(), o.GetName())
			}
			p.service = o
		}
	}
	if p.deployment == nil || p.service == nil {
		return nil, errors.New("the manifests need one Deployment and one Service (the smoke test goes through the Service)")
	}
	if p.Container, err = setImage(p.deployment, r.Container, r.Image); err != nil {
		return nil, err
	}
	return p, nil
}
