package deploy

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferryml/ferry/pipelines/kubetest"
)

// events records the steps deploys start, in order, across goroutines.
type events struct {
	mu  sync.Mutex
	log []string
}

func (e *events) handler(id string) slog.Handler { return &eventHandler{e: e, id: id} }

type eventHandler struct {
	e  *events
	id string
}

func (h *eventHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *eventHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *eventHandler) WithGroup(string) slog.Handler            { return h }
func (h *eventHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "deploy step" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "step" {
			h.e.mu.Lock()
			h.e.log = append(h.e.log, h.id+" "+a.Value.String())
			h.e.mu.Unlock()
		}
		return true
	})
	return nil
}

func (e *events) index(s string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, l := range e.log {
		if l == s {
			return i
		}
	}
	return -1
}

// startHolding starts deploy "a" of a slow-to-start v2 and returns once it holds the lock.
func startHolding(t *testing.T, c *kubetest.Cluster, ns string, ev *events) <-chan error {
	t.Helper()
	objs := objects(t, kubetest.FaultSlow, false)
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			o.Object["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["annotations"] =
				map[string]any{kubetest.ReadyAfter: "2s"}
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := Deploy(context.Background(), c.Config, request(ns, imageV2, objs),
			testOptions(WithIdentity("deploy-a"), WithLogger(slog.New(ev.handler("a"))))...)
		done <- err
	}()
	for ev.index("a snapshot") < 0 {
		select {
		case err := <-done:
			t.Fatalf("deploy a ended before taking the lock: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return done
}

func TestDeployLockRefusesSecond(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	ev := &events{}
	a := startHolding(t, c, ns, ev)
	_, err := Deploy(context.Background(), c.Config, request(ns, imageV3, objects(t, "", false)),
		testOptions(WithIdentity("deploy-b"), WithLock(500*time.Millisecond, 5*time.Second))...)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.Holder != "deploy-a" {
		t.Errorf("second deploy = %v, want a LockedError naming holder deploy-a", err)
	}
	if err := <-a; err != nil {
		t.Errorf("first deploy = %v, want success", err)
	}
	if got := servedImage(t, c, ns, 3); got != imageV2 {
		t.Errorf("the Service serves %s, want the first deploy's %s", got, imageV2)
	}
}

func TestDeployLockWaitsForFirst(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	ev := &events{}
	a := startHolding(t, c, ns, ev)
	_, err := Deploy(context.Background(), c.Config, request(ns, imageV3, objects(t, "", false)),
		testOptions(WithIdentity("deploy-b"), WithLogger(slog.New(ev.handler("b"))))...)
	if err != nil {
		t.Fatalf("second deploy = %v, want success after waiting", err)
	}
	if err := <-a; err != nil {
		t.Errorf("first deploy = %v, want success", err)
	}
	if unlockA, snapB := ev.index("a unlock"), ev.index("b snapshot"); unlockA < 0 || snapB < unlockA {
		t.Errorf("deploy b went on (step %d) before deploy a released the lock (step %d): %v", snapB, unlockA, ev.log)
	}
	if got := servedImage(t, c, ns, 3); got != imageV3 {
		t.Errorf("the Service serves %s, want the second deploy's %s", got, imageV3)
	}
}

func TestDeployTakesOverStaleLock(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))
	old := metav1.NewMicroTime(time.Now().Add(-time.Hour))
	_, err := c.Client.CoordinationV1().Leases(ns).Create(context.Background(), &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LeaseName},
		Spec: coordv1.LeaseSpec{HolderIdentity: ptr("crashed-deploy"), LeaseDurationSeconds: ptr(int32(30)),
			AcquireTime: &old, RenewTime: &old},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustDeploy(t, c, request(ns, imageV2, objects(t, "", false)), WithLock(time.Second, 5*time.Second))
}
