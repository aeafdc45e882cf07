package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Error is a deploy that failed at a step. RolledBack tells whether the previous state
// was restored and serves again; RollbackErr says why not.
type Error struct {
	Step        string
	Err         error
	RolledBack  bool
	RollbackErr error
}

func (e *Error) Error() string {
	switch {
	case e.RollbackErr != nil:
		return fmt.Sprintf("%s: %v; rolling back failed too: %v", e.Step, e.Err, e.RollbackErr)
	case e.RolledBack:
		return fmt.Sprintf("%s: %v (rolled back: the previous version serves again)", e.Step, e.Err)
	default:
		return fmt.Sprintf("%s: %v", e.Step, e.Err)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// deployer carries one Deploy call.
type deployer struct {
	o        options
	p        *plan
	cfg      *rest.Config
	kube     kubernetes.Interface
	dyn      dynamic.Interface
	mapper   meta.RESTMapper
	hc       *http.Client // through the API server, for the service and pod proxies
	rep      *Report
	snap     *snapshot
	canary   *canaryPlan // set for the canary strategy once a stable Deployment exists
	promoted bool
	retries  atomic.Int64
}

// Deploy verifies req.Image, takes the namespace's deploy lock, snapshots the objects it
// will touch, applies them and checks the result (rollout, smoke test, canary analysis).
// Any failure after the snapshot restores the previous state and waits until the previous
// version serves again. The Report is filled in whatever happens; the error is an *Error
// for a failed step.
func Deploy(ctx context.Context, cfg *rest.Config, req Request, opts ...Option) (Report, error) {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	rep := &Report{Env: req.Env, Namespace: req.Namespace, Strategy: string(req.Strategy), Started: o.now().UTC(), Approval: req.Approval}
	if rep.Strategy == "" {
		rep.Strategy = string(Rolling)
	}
	rep.To, _ = Digest(req.Image)
	d := &deployer{o: o, cfg: cfg, rep: rep}
	err := d.run(ctx, req)
	rep.Duration = o.now().Sub(rep.Started)
	rep.Retries = int(d.retries.Load())
	if err != nil && rep.Reason == "" {
		rep.Reason = err.Error()
	}
	return *rep, err
}

func (d *deployer) run(ctx context.Context, req Request) error {
	err := d.step(ctx, "validate", func(context.Context) (string, error) {
		var err error
		d.p, err = req.check()
		if err != nil {
			return "", err
		}
		d.rep.Namespace = d.p.Namespace
		return fmt.Sprintf("%d objects, Deployment %s, Service %s", len(d.p.objects), d.p.deployment.GetName(), d.p.service.GetName()), nil
	})
	if err != nil {
		return &Error{Step: "validate", Err: err}
	}
	if err := d.step(ctx, "verify", d.verify); err != nil {
		return &Error{Step: "verify", Err: err}
	}
	if err := d.step(ctx, "namespace", d.connect); err != nil {
		return &Error{Step: "namespace", Err: err}
	}
	var l *lease
	if err := d.step(ctx, "lock", func(ctx context.Context) (string, error) {
		var err error
		l, err = d.acquire(ctx)
		if err != nil {
			return "", err
		}
		return "held by " + d.o.identity, nil
	}); err != nil {
		return &Error{Step: "lock", Err: err}
	}
	lctx, stop := l.keep(ctx)
	err = d.locked(lctx)
	stop()
	if lost := context.Cause(lctx); errors.Is(lost, errLockLost) {
		return &Error{Step: "lock", Err: lost}
	}
	_ = d.step(ctx, "unlock", func(ctx context.Context) (string, error) { return "", l.release(ctx) })
	return err
}

// locked runs the steps that need the lock.
func (d *deployer) locked(ctx context.Context) error {
	if rec, err := d.loadRecord(ctx); err != nil {
		return &Error{Step: "recover", Err: err}
	} else if rec != nil {
		if err := d.step(ctx, "recover", func(ctx context.Context) (string, error) { return d.recoverFrom(ctx, rec) }); err != nil {
			return &Error{Step: "recover", Err: err}
		}
	}
	if err := d.step(ctx, "snapshot", d.takeSnapshot); err != nil {
		return &Error{Step: "snapshot", Err: err}
	}
	if err := d.step(ctx, "dry-run", func(ctx context.Context) (string, error) {
		return "", d.applyAll(ctx, d.toApply(), true)
	}); err != nil {
		_ = d.removeRecord(ctx)
		return &Error{Step: "dry-run", Err: err}
	}
	failed, err := d.rollout(ctx)
	if err == nil && d.o.promoter != nil && d.p.Version != "" {
		failed = "promote model"
		err = d.step(ctx, failed, func(ctx context.Context) (string, error) {
			d.promoted = true
			return "version " + d.p.Version, d.o.promoter.Promote(ctx, d.p.Version)
		})
	}
	if err != nil {
		return d.rollback(ctx, failed, err)
	}
	if err := d.removeRecord(ctx); err != nil {
		return &Error{Step: "finish", Err: err}
	}
	return nil
}

// rollout runs the strategy and returns the name of the step that failed.
func (d *deployer) rollout(ctx context.Context) (string, error) {
	if d.canary != nil {
		return d.runCanary(ctx)
	}
	if err := d.step(ctx, "apply", func(ctx context.Context) (string, error) {
		return fmt.Sprintf("%d objects", len(d.p.objects)), d.applyAll(ctx, d.p.objects, false)
	}); err != nil {
		return "apply", err
	}
	if err := d.step(ctx, "rollout", func(ctx context.Context) (string, error) {
		return d.waitRollout(ctx, d.p.deployment.GetName())
	}); err != nil {
		return "rollout", err
	}
	if err := d.step(ctx, "smoke", func(ctx context.Context) (string, error) {
		return d.smoke(ctx, d.serviceURL())
	}); err != nil {
		return "smoke", err
	}
	return "", nil
}

func (d *deployer) verify(ctx context.Context) (string, error) {
	if d.o.verifier == nil {
		return "", errors.New("no image verifier: refusing to deploy an unverified image (deploy.WithVerifier; the CLI's --verified-digest)")
	}
	if err := d.o.verifier.Verify(ctx, d.p.Image); err != nil {
		return "", fmt.Errorf("verifying %s: %w", d.p.Image, err)
	}
	return d.p.Image, nil
}

// connect makes the clients and applies the namespace (or creates it if the manifests
// hold none); the namespace is never removed by a rollback: it holds the lock.
func (d *deployer) connect(ctx context.Context) (string, error) {
	cfg := rest.CopyConfig(d.cfg)
	cfg.QPS, cfg.Burst = max(cfg.QPS, 50), max(cfg.Burst, 100)
	var err error
	if d.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return "", fmt.Errorf("creating a Kubernetes client: %w", err)
	}
	if d.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return "", fmt.Errorf("creating a Kubernetes client: %w", err)
	}
	if d.hc, err = rest.HTTPClientFor(cfg); err != nil {
		return "", fmt.Errorf("creating an HTTP client for the API server: %w", err)
	}
	err = d.retry(ctx, "discovering the API", func(ctx context.Context) error {
		groups, err := restmapper.GetAPIGroupResources(d.kube.Discovery())
		if err == nil {
			d.mapper = restmapper.NewDiscoveryRESTMapper(groups)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return d.ensureNamespace(ctx)
}

// step runs f as the named step of the report.
func (d *deployer) step(ctx context.Context, name string, f func(context.Context) (string, error)) error {
	began := d.o.now()
	d.o.logger.Info("deploy step", "step", name)
	detail, err := f(ctx)
	s := Step{Name: name, Result: Passed, Detail: detail, Duration: d.o.now().Sub(began)}
	if err != nil {
		s.Result, s.Detail = Failed, err.Error()
		d.o.logger.Warn("deploy step failed", "step", name, "err", err)
	}
	d.rep.Steps = append(d.rep.Steps, s)
	return err
}
