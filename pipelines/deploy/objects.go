package deploy

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ferryml/ferry/pipelines/manifest"
)

// ParseObjects reads a multi-document YAML (or JSON) stream of rendered manifests
// (manifest.Objects: every object needs apiVersion, kind and metadata.name).
func ParseObjects(data []byte) ([]*unstructured.Unstructured, error) {
	return manifest.Objects(data)
}

// applyRank orders kinds so that what others depend on comes first and the Deployment,
// which starts pods, comes last.
var applyRank = map[string]int{
	"Namespace": 0, "ServiceAccount": 1, "Role": 2, "RoleBinding": 2,
	"ConfigMap": 3, "Secret": 3, "PersistentVolumeClaim": 3,
	"Service": 4, "Deployment": 9,
}

func rank(kind string) int {
	if r, ok := applyRank[kind]; ok {
		return r
	}
	return 5
}

// namespaceOf returns want, else the one namespace the namespaced objects name.
func namespaceOf(want string, objs []*unstructured.Unstructured) (string, error) {
	for _, o := range objs {
		ns := o.GetNamespace()
		if o.GetKind() == "Namespace" || ns == "" {
			continue
		}
		if want == "" {
			want = ns
		} else if ns != want {
			return "", fmt.Errorf("%s %s is in namespace %q, not %q: render all objects for one namespace", o.GetKind(), o.GetName(), ns, want)
		}
	}
	if want == "" {
		return "", errors.New("no namespace: set Request.Namespace (--namespace) or metadata.namespace in the manifests")
	}
	return want, nil
}

// prepare copies the objects, puts each namespaced one in ns, and sorts them in apply
// order. A Namespace object is returned apart: Deploy applies it before taking the lock.
func prepare(objs []*unstructured.Unstructured, ns string) (out []*unstructured.Unstructured, nsObj *unstructured.Unstructured, err error) {
	for _, o := range objs {
		c := o.DeepCopy()
		if c.GetKind() == "Namespace" {
			if c.GetName() != ns {
				return nil, nil, fmt.Errorf("the manifests create namespace %q but deploy into %q", c.GetName(), ns)
			}
			nsObj = c
			continue
		}
		c.SetNamespace(ns)
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b *unstructured.Unstructured) int { return rank(a.GetKind()) - rank(b.GetKind()) })
	return out, nsObj, nil
}

// setImage sets image into the named container of a Deployment (the first one if name is
// empty) and returns the container's name.
func setImage(dep *unstructured.Unstructured, name, image string) (string, error) {
	containers, _, err := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if err != nil || len(containers) == 0 {
		return "", fmt.Errorf("Deployment %s has no containers", dep.GetName())
	}
	var names []string
	for i, c := range containers {
		m, _ := c.(map[string]any)
		n, _ := m["name"].(string)
		names = append(names, n)
		if name == "" || n == name {
			m["image"] = image
			containers[i] = m
			if err := unstructured.SetNestedSlice(dep.Object, containers, "spec", "template", "spec", "containers"); err != nil {
				return "", fmt.Errorf("setting the image of Deployment %s: %w", dep.GetName(), err)
			}
			return n, nil
		}
	}
	return "", fmt.Errorf("Deployment %s has no container %q (it has %s)", dep.GetName(), name, strings.Join(names, ", "))
}

// imageOf returns the image of the named container in a Deployment, or "".
func imageOf(dep *unstructured.Unstructured, name string) string {
	if dep == nil {
		return ""
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		m, _ := c.(map[string]any)
		if n, _ := m["name"].(string); n == name || name == "" {
			img, _ := m["image"].(string)
			return img
		}
	}
	return ""
}

// describe names an object for errors and reports: "Deployment ns/name".
func describe(o *unstructured.Unstructured) string {
	if o.GetNamespace() == "" {
		return o.GetKind() + " " + o.GetName()
	}
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}
