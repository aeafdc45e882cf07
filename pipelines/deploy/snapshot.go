package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RecordName is the ConfigMap that records a deploy in progress and the state it will
// restore; a deploy that finds one left by an interrupted deploy restores it first.
const RecordName = "ferry-deploy-state"

// snapshot is the state of every object a deploy touches, taken before it changes any.
type snapshot struct {
	ID      string    `json:"id"`
	Image   string    `json:"image"`
	Started time.Time `json:"started"`
	Entries []entry   `json:"entries"` // in apply order
}

// entry is one object's previous state: absent, or its spec and metadata as they were.
type entry struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Name       string         `json:"name"`
	Namespace  string         `json:"namespace"`
	Existed    bool           `json:"existed"`
	Object     map[string]any `json:"object,omitempty"`
}

func (e entry) object() *unstructured.Unstructured {
	if e.Object != nil {
		return &unstructured.Unstructured{Object: e.Object}
	}
	o := &unstructured.Unstructured{}
	o.SetAPIVersion(e.APIVersion)
	o.SetKind(e.Kind)
	o.SetName(e.Name)
	o.SetNamespace(e.Namespace)
	return o
}

// takeSnapshot reads every object the deploy will touch and records them in RecordName
// before anything is applied.
func (d *deployer) takeSnapshot(ctx context.Context) (string, error) {
	s := &snapshot{ID: d.o.identity, Image: d.p.Image, Started: d.o.now().UTC()}
	var prevDeployment *unstructured.Unstructured
	for _, o := range d.p.objects {
		e, cur, err := d.read(ctx, o)
		if err != nil {
			return "", err
		}
		if o == d.p.deployment && e.Existed {
			prevDeployment = cur
		}
		s.Entries = append(s.Entries, e)
	}
	if prev := imageOf(prevDeployment, d.p.Container); prev != "" {
		d.rep.From, _ = Digest(prev)
		if d.rep.From == "" {
			d.rep.From = prev
		}
	}
	note := ""
	if d.p.Strategy == Canary {
		if prevDeployment == nil {
			note = "; no stable Deployment yet: canary falls back to a rolling deploy"
		} else {
			d.canary = newCanaryPlan(d.p)
			// The canary is ferry's own: whatever is there (left by a crash) goes on rollback.
			s.Entries = append(s.Entries, entry{APIVersion: "apps/v1", Kind: "Deployment",
				Name: d.canary.obj.GetName(), Namespace: d.p.Namespace})
		}
	}
	d.snap = s
	if err := d.saveRecord(ctx, s); err != nil {
		return "", err
	}
	existed := 0
	for _, e := range s.Entries {
		if e.Existed {
			existed++
		}
	}
	return fmt.Sprintf("%d of %d objects exist%s", existed, len(s.Entries), note), nil
}

// read returns o's current state as a snapshot entry, and the live object.
func (d *deployer) read(ctx context.Context, o *unstructured.Unstructured) (entry, *unstructured.Unstructured, error) {
	e := entry{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Name: o.GetName(), Namespace: o.GetNamespace()}
	ri, err := d.resource(o)
	if err != nil {
		return e, nil, err
	}
	var cur *unstructured.Unstructured
	err = d.retry(ctx, "reading "+describe(o), func(ctx context.Context) error {
		var err error
		cur, err = ri.Get(ctx, o.GetName(), metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return e, nil, nil
	}
	if err != nil {
		return e, nil, err
	}
	e.Existed, e.Object = true, clean(cur).Object
	return e, cur, nil
}

// clean drops what the server owns (status, identity, versions) from a live object, and
// the Deployment revision annotation, which the deployment controller keeps.
func clean(o *unstructured.Unstructured) *unstructured.Unstructured {
	c := o.DeepCopy()
	delete(c.Object, "status")
	for _, f := range []string{"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		unstructured.RemoveNestedField(c.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(c.Object, "metadata", "annotations", "deployment.kubernetes.io/revision")
	if len(c.GetAnnotations()) == 0 {
		unstructured.RemoveNestedField(c.Object, "metadata", "annotations")
	}
	return c
}

func (d *deployer) saveRecord(ctx context.Context, s *snapshot) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding the deploy record: %w", err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: RecordName, Namespace: d.p.Namespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": FieldManager}},
		Data: map[string]string{"state.json": string(data)},
	}
	return d.retry(ctx, "recording the deploy in ConfigMap "+RecordName, func(ctx context.Context) error {
		_, err := d.kube.CoreV1().ConfigMaps(d.p.Namespace).Create(ctx, cm, metav1.CreateOptions{FieldManager: FieldManager})
		if apierrors.IsAlreadyExists(err) { // a retried create that had gone through
			_, err = d.kube.CoreV1().ConfigMaps(d.p.Namespace).Update(ctx, cm, metav1.UpdateOptions{FieldManager: FieldManager})
		}
		return err
	})
}

// loadRecord returns the record an interrupted deploy left, or nil.
func (d *deployer) loadRecord(ctx context.Context) (*snapshot, error) {
	var cm *corev1.ConfigMap
	err := d.retry(ctx, "reading ConfigMap "+RecordName, func(ctx context.Context) error {
		var err error
		cm, err = d.kube.CoreV1().ConfigMaps(d.p.Namespace).Get(ctx, RecordName, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s snapshot
	if err := json.Unmarshal([]byte(cm.Data["state.json"]), &s); err != nil {
		return nil, fmt.Errorf("reading the record of an interrupted deploy (ConfigMap %s/%s): %w; "+
			"check the namespace by hand, then delete the ConfigMap", d.p.Namespace, RecordName, err)
	}
	return &s, nil
}

func (d *deployer) removeRecord(ctx context.Context) error {
	return d.retry(ctx, "removing ConfigMap "+RecordName, func(ctx context.Context) error {
		err := d.kube.CoreV1().ConfigMaps(d.p.Namespace).Delete(ctx, RecordName, metav1.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}
