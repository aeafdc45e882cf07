package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// StalledError is a rollout that cannot finish: its progress deadline passed, a pod
// failed in a way that does not heal by waiting, or the caller's timeout ran out.
type StalledError struct {
	Deployment string
	Reason     string // ProgressDeadlineExceeded, CrashLoopBackOff, ErrImagePull, Timeout, …
	Message    string
}

func (e *StalledError) Error() string {
	return fmt.Sprintf("rollout of Deployment %s stalled (%s): %s", e.Deployment, e.Reason, e.Message)
}

// badWaiting are container waiting reasons that mean the new pods will not start.
var badWaiting = map[string]bool{
	"CrashLoopBackOff": true, "ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true, "RunContainerError": true,
}

// waitRollout waits for Deployment name with `kubectl rollout status` semantics, up to
// the request's timeout, failing early on pods that will not start.
func (d *deployer) waitRollout(ctx context.Context, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d.p.Timeout)
	defer cancel()
	began := time.Now()
	last := "not observed yet"
	for {
		var dep *appsv1.Deployment
		err := d.retry(ctx, "reading Deployment "+name, func(ctx context.Context) error {
			var err error
			dep, err = d.kube.AppsV1().Deployments(d.p.Namespace).Get(ctx, name, metav1.GetOptions{})
			return err
		})
		if err != nil && ctx.Err() == nil {
			return "", err
		}
		if err == nil {
			done, msg, err := rolloutStatus(dep)
			if err != nil {
				return "", err
			}
			if done {
				return fmt.Sprintf("%d/%d available in %s", dep.Status.AvailableReplicas, replicas(dep), time.Since(began).Round(time.Millisecond)), nil
			}
			last = msg
			// Until the controller has seen the spec, the newest ReplicaSet is the old one.
			if dep.Status.ObservedGeneration >= dep.Generation {
				if err := d.podFailures(ctx, dep); err != nil {
					return "", err
				}
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return "", &StalledError{Deployment: name, Reason: "Timeout", Message: fmt.Sprintf("not done after %s: %s", d.p.Timeout, last)}
			}
			return "", fmt.Errorf("waiting for Deployment %s: %w", name, ctx.Err())
		case <-time.After(d.o.poll):
		}
	}
}

// rolloutStatus is kubectl's DeploymentStatusViewer: done, or what it waits for; an error
// if the Deployment exceeded its progress deadline.
func rolloutStatus(dep *appsv1.Deployment) (bool, string, error) {
	if dep.Generation > dep.Status.ObservedGeneration {
		return false, "waiting for the deployment spec update to be observed", nil
	}
	for _, c := range dep.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			return false, "", &StalledError{Deployment: dep.Name, Reason: c.Reason, Message: c.Message}
		}
	}
	want := replicas(dep)
	s := dep.Status
	switch {
	case s.UpdatedReplicas < want:
		return false, fmt.Sprintf("%d of %d new replicas updated", s.UpdatedReplicas, want), nil
	case s.Replicas > s.UpdatedReplicas:
		return false, fmt.Sprintf("%d old replicas pending termination", s.Replicas-s.UpdatedReplicas), nil
	case s.AvailableReplicas < s.UpdatedReplicas:
		return false, fmt.Sprintf("%d of %d updated replicas available", s.AvailableReplicas, s.UpdatedReplicas), nil
	}
	return true, "", nil
}

func replicas(dep *appsv1.Deployment) int32 {
	if dep.Spec.Replicas == nil {
		return 1
	}
	return *dep.Spec.Replicas
}

// podFailures looks at the pods of the Deployment's newest ReplicaSet and fails on a
// container that is waiting for a reason waiting will not fix.
func (d *deployer) podFailures(ctx context.Context, dep *appsv1.Deployment) error {
	rs, err := d.newReplicaSet(ctx, dep)
	if err != nil || rs == nil {
		return err
	}
	sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return fmt.Errorf("reading the selector of ReplicaSet %s: %w", rs.Name, err)
	}
	var pods *corev1.PodList
	err = d.retry(ctx, "listing the pods of ReplicaSet "+rs.Name, func(ctx context.Context) error {
		pods, err = d.kube.CoreV1().Pods(d.p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		return err
	})
	if err != nil {
		return err
	}
	for _, pod := range pods.Items {
		if !metav1.IsControlledBy(&pod, rs) || pod.DeletionTimestamp != nil {
			continue
		}
		// Refused by the node (kubelet admission: AppArmor, node affinity,
		// out of resources): the ReplicaSet only makes more of the same.
		if pod.Status.Phase == corev1.PodFailed && pod.Status.Reason != "" {
			msg := fmt.Sprintf("pod %s was rejected by node %s: %s", pod.Name, pod.Spec.NodeName, pod.Status.Reason)
			if pod.Status.Message != "" {
				msg += ": " + pod.Status.Message
			}
			return &StalledError{Deployment: dep.Name, Reason: pod.Status.Reason, Message: msg}
		}
		for _, cs := range append(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses...) {
			if w := cs.State.Waiting; w != nil && badWaiting[w.Reason] {
				msg := fmt.Sprintf("pod %s container %s: %s", pod.Name, cs.Name, w.Reason)
				if w.Message != "" {
					msg += ": " + w.Message
				}
				if cs.RestartCount > 0 {
					msg += fmt.Sprintf(" (%d restarts)", cs.RestartCount)
				}
				return &StalledError{Deployment: dep.Name, Reason: w.Reason, Message: msg}
			}
		}
	}
	return nil
}

// newReplicaSet returns the ReplicaSet of dep's current revision, or nil if not made yet.
func (d *deployer) newReplicaSet(ctx context.Context, dep *appsv1.Deployment) (*appsv1.ReplicaSet, error) {
	rev := dep.Annotations["deployment.kubernetes.io/revision"]
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil || rev == "" {
		return nil, err
	}
	var list *appsv1.ReplicaSetList
	err = d.retry(ctx, "listing the ReplicaSets of Deployment "+dep.Name, func(ctx context.Context) error {
		list, err = d.kube.AppsV1().ReplicaSets(d.p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		return err
	})
	if err != nil {
		return nil, err
	}
	for i := range list.Items {
		rs := &list.Items[i]
		if metav1.IsControlledBy(rs, dep) && rs.Annotations["deployment.kubernetes.io/revision"] == rev {
			return rs, nil
		}
	}
	return nil, nil
}

// readyPods returns the Ready, not terminating pods matching sel.
func (d *deployer) readyPods(ctx context.Context, sel labels.Selector) ([]corev1.Pod, error) {
	var pods *corev1.PodList
	err := d.retry(ctx, "listing pods "+sel.String(), func(ctx context.Context) error {
		var err error
		pods, err = d.kube.CoreV1().Pods(d.p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.PodIP == "" {
			continue
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// containerPort returns the number of the named port of pod's container.
func containerPort(pod *corev1.Pod, container, port string) (int32, error) {
	var names []string
	for _, c := range pod.Spec.Containers {
		if c.Name != container {
			continue
		}
		for _, p := range c.Ports {
			if p.Name == port {
				return p.ContainerPort, nil
			}
			names = append(names, p.Name)
		}
	}
	return 0, fmt.Errorf("pod %s: container %s has no port named %q (ports: %s)", pod.Name, container, port, strings.Join(names, ", "))
}
