package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LeaseName is the coordination.k8s.io/v1 Lease that one deploy per namespace holds.
const LeaseName = "ferry-deploy"

// errLockLost ends a deploy whose lease was taken by another.
var errLockLost = errors.New("lost the deploy lock")

// LockedError is a deploy that gave up waiting for the lock.
type LockedError struct {
	Namespace, Holder string
	Renewed           time.Time
	Waited            time.Duration
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another deploy holds the lock (Lease %s/%s, holder %q, renewed %s); waited %s: "+
		"try again when it has finished (a holder that stopped renewing loses the lock when the lease expires)",
		e.Namespace, LeaseName, e.Holder, e.Renewed.Format(time.RFC3339), e.Waited.Round(time.Second))
}

// lease is the lock a deployer holds.
type lease struct{ d *deployer }

// acquire takes the Lease, waiting up to o.lockWait while another live holder has it. A
// lease not renewed within its duration is stale and taken over. Every change is an
// update on the resourceVersion read, so two deploys can never both win.
func (d *deployer) acquire(ctx context.Context) (*lease, error) {
	began := time.Now()
	leases := d.kube.CoordinationV1().Leases(d.p.Namespace)
	for {
		var cur *coordv1.Lease
		err := d.retry(ctx, "reading Lease "+LeaseName, func(ctx context.Context) error {
			var err error
			cur, err = leases.Get(ctx, LeaseName, metav1.GetOptions{})
			return err
		})
		now := metav1.NewMicroTime(time.Now())
		secs := int32(d.o.leaseDuration / time.Second)
		mine := &coordv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: LeaseName, Namespace: d.p.Namespace},
			Spec: coordv1.LeaseSpec{HolderIdentity: &d.o.identity, LeaseDurationSeconds: &secs,
				AcquireTime: &now, RenewTime: &now},
		}
		switch {
		case apierrors.IsNotFound(err):
			_, err := leases.Create(ctx, mine, metav1.CreateOptions{FieldManager: FieldManager})
			if err == nil {
				return &lease{d: d}, nil
			}
			if !apierrors.IsAlreadyExists(err) && !transient(err) {
				return nil, fmt.Errorf("creating Lease %s: %w", LeaseName, err)
			}
		case err != nil:
			return nil, err
		case free(cur, d.o.identity, time.Now()):
			mine.ResourceVersion = cur.ResourceVersion
			mine.Spec.LeaseTransitions = cur.Spec.LeaseTransitions
			if h := cur.Spec.HolderIdentity; h == nil || *h != d.o.identity {
				mine.Spec.LeaseTransitions = ptr(deref(cur.Spec.LeaseTransitions) + 1)
			}
			_, err := leases.Update(ctx, mine, metav1.UpdateOptions{FieldManager: FieldManager})
			if err == nil {
				return &lease{d: d}, nil
			}
			if !apierrors.IsConflict(err) && !transient(err) {
				return nil, fmt.Errorf("taking Lease %s: %w", LeaseName, err)
			}
		default:
			if waited := time.Since(began); waited >= d.o.lockWait {
				return nil, &LockedError{Namespace: d.p.Namespace, Holder: deref(cur.Spec.HolderIdentity),
					Renewed: renewed(cur).Time, Waited: waited}
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for Lease %s: %w", LeaseName, ctx.Err())
		case <-time.After(d.o.poll):
		}
	}
}

// free reports whether l may be taken by id: released, held by id, or expired.
func free(l *coordv1.Lease, id string, now time.Time) bool {
	h := deref(l.Spec.HolderIdentity)
	if h == "" || h == id {
		return true
	}
	dur := time.Duration(deref(l.Spec.LeaseDurationSeconds)) * time.Second
	return now.After(renewed(l).Add(dur))
}

func renewed(l *coordv1.Lease) metav1.MicroTime {
	if l.Spec.RenewTime != nil {
		return *l.Spec.RenewTime
	}
	if l.Spec.AcquireTime != nil {
		return *l.Spec.AcquireTime
	}
	return metav1.MicroTime{Time: l.CreationTimestamp.Time}
}

// keep renews the lease every third of its duration until stop is called; the returned
// context is cancelled with errLockLost if another holder took it.
func (l *lease) keep(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.d.o.leaseDuration / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := l.renew(ctx); err != nil && ctx.Err() == nil {
					if errors.Is(err, errLockLost) {
						cancel(err)
						return
					}
					l.d.o.logger.Warn("renewing the deploy lock", "err", err)
				}
			}
		}
	}()
	return ctx, func() { cancel(nil); <-done }
}

func (l *lease) renew(ctx context.Context) error {
	leases := l.d.kube.CoordinationV1().Leases(l.d.p.Namespace)
	return l.d.retry(ctx, "renewing Lease "+LeaseName, func(ctx context.Context) error {
		cur, err := leases.Get(ctx, LeaseName, metav1.GetOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("%w: Lease %s was deleted", errLockLost, LeaseName)
			}
			return err
		}
		if h := deref(cur.Spec.HolderIdentity); h != l.d.o.identity {
			return fmt.Errorf("%w: Lease %s is now held by %q", errLockLost, LeaseName, h)
		}
		now := metav1.NewMicroTime(time.Now())
		cur.Spec.RenewTime = &now
		_, err = leases.Update(ctx, cur, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
}

// release deletes the lease if this deploy still holds it.
func (l *lease) release(ctx context.Context) error {
	leases := l.d.kube.CoordinationV1().Leases(l.d.p.Namespace)
	return l.d.retry(ctx, "releasing Lease "+LeaseName, func(ctx context.Context) error {
		cur, err := leases.Get(ctx, LeaseName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if deref(cur.Spec.HolderIdentity) != l.d.o.identity {
			return nil
		}
		err = leases.Delete(ctx, LeaseName, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{
			UID: &cur.UID, ResourceVersion: &cur.ResourceVersion}})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
