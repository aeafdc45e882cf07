package kubetest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestClusterServesPods(t *testing.T) {
	c := Shared(t)
	ctx := context.Background()
	if n, err := c.readyNodes(ctx); err != nil || n != Nodes {
		t.Fatalf("ready nodes = %d, %v; want %d", n, err, Nodes)
	}
	ps, err := c.ServePods(8080, func(pod *corev1.Pod) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, pod.Name+" "+r.URL.Path) })
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	ns := "serve"
	mustCreateNamespace(t, c, ns)
	pod := newPod(ns, "web", "", "")
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
	}}
	if _, err := c.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := waitPod(t, c, ns, "web", func(p *corev1.Pod) bool { return ready(p) })
	if !strings.HasPrefix(p.Status.PodIP, "10.244.") {
		t.Errorf("pod IP = %q, want one in %s", p.Status.PodIP, PodNetwork)
	}
	hc, err := rest.HTTPClientFor(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		c.Config.Host + "/api/v1/namespaces/serve/pods/web:8080/proxy/hello",
		c.Config.Host + "/api/v1/namespaces/serve/services/web:http/proxy/hello",
	} {
		var body string
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if resp, err := hc.Get(u); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if body = string(b); resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		if body != "web /hello" {
			t.Errorf("GET %s = %q, want %q", u, body, "web /hello")
		}
	}
}

func TestFaultStages(t *testing.T) {
	c := Shared(t)
	ns := "faults"
	mustCreateNamespace(t, c, ns)
	tests := []struct {
		fault, readyAfter string
		want              func(*corev1.Pod) bool
		desc              string
	}{
		{"", "", ready, "Ready"},
		{FaultNeverReady, "", func(p *corev1.Pod) bool {
			return p.Status.Phase == corev1.PodRunning && !ready(p) && p.Status.PodIP != "" && len(p.Status.ContainerStatuses) == 1 &&
				p.Status.ContainerStatuses[0].State.Running != nil
		}, "Running, not Ready"},
		{FaultCrashLoop, "", func(p *corev1.Pod) bool {
			return waiting(p) == "CrashLoopBackOff" && p.Status.ContainerStatuses[0].RestartCount > 0
		}, "CrashLoopBackOff with restarts"},
		{FaultImagePull, "", func(p *corev1.Pod) bool { return waiting(p) == "ImagePullBackOff" }, "ErrImagePull then ImagePullBackOff"},
		{FaultSlow, "1s", ready, "Ready after a delay"},
	}
	ctx := context.Background()
	for i, tt := range tests {
		pod := newPod(ns, fmt.Sprintf("p%d", i), tt.fault, tt.readyAfter)
		if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i, tt := range tests {
		t.Run("fault="+tt.fault, func(t *testing.T) {
			p := waitPod(t, c, ns, fmt.Sprintf("p%d", i), tt.want)
			if tt.fault == FaultSlow && !ready(p) {
				t.Errorf("slow pod not Ready")
			}
		})
	}
	// The slow pod was not Ready at once: its Ready condition came at least 1s after creation.
	p, _ := c.Client.CoreV1().Pods(ns).Get(ctx, "p4", metav1.GetOptions{})
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady && cond.LastTransitionTime.Sub(p.CreationTimestamp.Time) < 500*time.Millisecond {
			t.Errorf("slow pod Ready %s after creation, want ≥ 1s", cond.LastTransitionTime.Sub(p.CreationTimestamp.Time))
		}
	}
}

func TestCloseStopsEveryProcess(t *testing.T) {
	c, err := Launch()
	if err != nil {
		fail(t, err)
	}
	t.Logf("second control plane started in %s", c.Started.Round(time.Millisecond))
	var pids []int
	for _, p := range c.procs {
		pids = append(pids, p.cmd.Process.Pid, p.watchdog.Process.Pid)
	}
	if len(pids) != 2*5 {
		t.Errorf("%d processes (with watchdogs), want 10: etcd, apiserver, controller manager, scheduler, kwok", len(pids))
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("process %d still exists after Close (kill 0: %v)", pid, err)
		}
	}
	if _, err := os.Stat(c.Dir); !os.IsNotExist(err) {
		t.Errorf("folder %s remains after Close", c.Dir)
	}
}

func newPod(ns, name, fault, readyAfter string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.test/x:1",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}}},
	}
	if fault != "" {
		p.Labels[FaultLabel] = fault
	}
	if readyAfter != "" {
		p.Annotations = map[string]string{ReadyAfter: readyAfter}
	}
	return p
}

func mustCreateNamespace(t *testing.T, c *Cluster, ns string) {
	t.Helper()
	_, err := c.Client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Pods need the namespace's default service account (the controller manager makes it).
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := c.Client.CoreV1().ServiceAccounts(ns).Get(context.Background(), "default", metav1.GetOptions{}); err == nil {
			return
		}
	}
	t.Fatalf("namespace %s has no default service account after 30s", ns)
}

func waitPod(t *testing.T, c *Cluster, ns, name string, ok func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		p, err = c.Client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil && ok(p) {
			return p
		}
	}
	t.Fatalf("pod %s/%s not in the expected state after 30s: %v; status %+v", ns, name, err, p.Status)
	return nil
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func waiting(p *corev1.Pod) string {
	if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Waiting == nil {
		return ""
	}
	return p.Status.ContainerStatuses[0].State.Waiting.Reason
}
