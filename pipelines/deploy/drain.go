package deploy

import (
	"context"
	"fmt"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// podIPs returns the IPs of dep's pods (any phase).
func (d *deployer) podIPs(ctx context.Context, dep *unstructured.Unstructured) (map[string]bool, error) {
	ml, _, _ := unstructured.NestedStringMap(dep.Object, "spec", "selector", "matchLabels")
	ips := map[string]bool{}
	err := d.retry(ctx, "listing the pods of "+describe(dep), func(ctx context.Context) error {
		pods, err := d.kube.CoreV1().Pods(d.p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(ml).String()})
		if err != nil {
			return err
		}
		for _, p := range pods.Items {
			for _, ip := range p.Status.PodIPs {
				ips[ip.IP] = true
			}
		}
		return nil
	})
	return ips, err
}

// drain waits, up to the reach wait, until no EndpointSlice of the Service lists any
// of ips.
func (d *deployer) drain(ctx context.Context, ips map[string]bool) (string, error) {
	if len(ips) == 0 {
		return "no canary pods to drain", nil
	}
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, d.o.reachWait)
	defer cancel()
	sel := labels.SelectorFromSet(map[string]string{discoveryv1.LabelServiceName: d.p.service.GetName()}).String()
	for {
		left := 0
		err := d.retry(ctx, "listing the endpoints of Service "+d.p.service.GetName(), func(ctx context.Context) error {
			slices, err := d.kube.DiscoveryV1().EndpointSlices(d.p.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err != nil {
				return err
			}
			left = 0
			for _, s := range slices.Items {
				for _, ep := range s.Endpoints {
					for _, a := range ep.Addresses {
						if ips[a] {
							left++
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		if left == 0 {
			return fmt.Sprintf("Service %s no longer routes to the canary (%s)", d.p.service.GetName(), time.Since(began).Round(time.Millisecond)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("Service %s still routes to %d canary endpoint(s) after %s", d.p.service.GetName(), left, d.o.reachWait)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
