package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Promoter moves the model registry's alias (e.g. MLflow's "production") to the version
// being deployed once it serves, and back if the deploy is rolled back.
type Promoter interface {
	// Promote points the alias at version.
	Promote(ctx context.Context, version string) error
	// Restore points the alias back where it was before Promote.
	Restore(ctx context.Context) error
}

// rollback restores the snapshot after step failed with cause, waits until the previous
// version serves again, and measures how long that took from the failure.
func (d *deployer) rollback(ctx context.Context, step string, cause error) error {
	detected := d.o.now()
	d.rep.Reason = fmt.Sprintf("%s: %v", step, cause)
	// Undo even if the caller's context ended: a half-deployed namespace is worse.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.p.Timeout+d.o.reachWait+time.Minute)
	defer cancel()
	fail := &Error{Step: step, Err: cause}
	err := d.step(ctx, "rollback", func(ctx context.Context) (string, error) {
		var errs []error
		if d.promoted {
			if err := d.o.promoter.Restore(ctx); err != nil {
				errs = append(errs, fmt.Errorf("restoring the model alias: %w", err))
			}
		}
		detail, err := d.restore(ctx, d.snap)
		return detail, errors.Join(append(errs, err)...)
	})
	if err == nil {
		err = d.step(ctx, "rollback verify", func(ctx context.Context) (string, error) { return d.servesAgain(ctx, d.snap) })
	}
	if err != nil {
		fail.RollbackErr = err
		return fail
	}
	d.rep.RolledBack, fail.RolledBack = true, true
	d.rep.Recovery = d.o.now().Sub(detected)
	if err := d.removeRecord(ctx); err != nil {
		fail.RollbackErr = err
	}
	return fail
}

// restore puts every object of s back as it was, in reverse apply order: objects that did
// not exist are deleted, the others replaced by their previous spec and metadata (an
// update, not an apply, so fields the failed deploy added go too).
func (d *deployer) restore(ctx context.Context, s *snapshot) (string, error) {
	restored, deleted := 0, 0
	for i := len(s.Entries) - 1; i >= 0; i-- {
		e := s.Entries[i]
		prev := e.object()
		if !e.Existed {
			if err := d.remove(ctx, prev); err != nil {
				return "", err
			}
			deleted++
			continue
		}
		ri, err := d.resource(prev)
		if err != nil {
			return "", err
		}
		err = d.retryReading(ctx, "restoring "+describe(prev), func(ctx context.Context) error {
			cur, err := ri.Get(ctx, prev.GetName(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				_, err = ri.Create(ctx, prev.DeepCopy(), metav1.CreateOptions{FieldManager: FieldManager})
				return err
			}
			if err != nil {
				return err
			}
			next := prev.DeepCopy()
			next.SetResourceVersion(cur.GetResourceVersion())
			if rev, ok := cur.GetAnnotations()["deployment.kubernetes.io/revision"]; ok {
				a := next.GetAnnotations()
				if a == nil {
					a = map[string]string{}
				}
				a["deployment.kubernetes.io/revision"] = rev
				next.SetAnnotations(a)
			}
			_, err = ri.Update(ctx, next, metav1.UpdateOptions{FieldManager: FieldManager})
			return err
		})
		if err != nil {
			return "", err
		}
		restored++
	}
	return fmt.Sprintf("%d objects restored, %d removed", restored, deleted), nil
}

// servesAgain waits for the restored Deployment's rollout and for the service to answer
// the health path, if there was a previous version to serve. The smoke test is not run:
// its expected predictions are the new version's.
func (d *deployer) servesAgain(ctx context.Context, s *snapshot) (string, error) {
	for _, e := range s.Entries {
		if e.Kind != "Deployment" || e.Name != d.p.deployment.GetName() {
			continue
		}
		if !e.Existed {
			return "no previous version: its objects were removed", nil
		}
		if _, err := d.waitRollout(ctx, e.Name); err != nil {
			return "", err
		}
		began := time.Now()
		if err := d.reach(ctx, d.serviceURL()); err != nil {
			return "", err
		}
		return fmt.Sprintf("previous version serves again (%s answered in %s)", d.o.healthPath, time.Since(began).Round(time.Millisecond)), nil
	}
	return "", fmt.Errorf("the snapshot has no entry for Deployment %s", d.p.deployment.GetName())
}

// recoverFrom restores the state an interrupted deploy recorded, before this deploy
// takes its own snapshot.
func (d *deployer) recoverFrom(ctx context.Context, s *snapshot) (string, error) {
	detail, err := d.restore(ctx, s)
	if err != nil {
		return "", fmt.Errorf("restoring the state deploy %s (image %s, started %s) recorded: %w", s.ID, s.Image, s.Started.Format(time.RFC3339), err)
	}
	if _, err := d.servesAgain(ctx, s); err != nil {
		return "", err
	}
	if err := d.removeRecord(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("deploy %s of %s was interrupted: %s", s.ID, s.Image, detail), nil
}
