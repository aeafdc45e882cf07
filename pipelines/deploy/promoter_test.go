package deploy

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// recordingPromoter records the calls Deploy makes; Promote fails if fail is set.
type recordingPromoter struct {
	mu    sync.Mutex
	calls []string
	fail  bool
}

func (p *recordingPromoter) Promote(_ context.Context, version string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "promote "+version)
	if p.fail {
		return errors.New("registry unavailable")
	}
	return nil
}

func (p *recordingPromoter) Restore(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "restore")
	return nil
}

func TestDeployPromotesModelVersion(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	ns := namespace(t)
	mustDeploy(t, c, request(ns, imageV1, objects(t, "", false)))

	ok := &recordingPromoter{}
	req := request(ns, imageV2, objects(t, "", false))
	req.Version = "7"
	mustDeploy(t, c, req, WithPromoter(ok))
	if got := ok.calls; len(got) != 1 || got[0] != "promote 7" {
		t.Errorf("promoter calls = %v, want [promote 7]", got)
	}

	// A promotion that fails rolls the deploy back and restores the alias.
	bad := &recordingPromoter{fail: true}
	req = request(ns, imageV3, objects(t, "", false))
	req.Version = "8"
	rep, err := Deploy(context.Background(), c.Config, req, testOptions(WithPromoter(bad))...)
	var de *Error
	if !errors.As(err, &de) || de.Step != "promote model" || !rep.RolledBack {
		t.Fatalf("Deploy(failing promoter) = %v, rolled back %v; want a rolled back failure at promote model", err, rep.RolledBack)
	}
	if got := bad.calls; len(got) != 2 || got[1] != "restore" {
		t.Errorf("promoter calls = %v, want [promote 8 restore]", got)
	}
	if got := servedImage(t, c, ns, 3); got != imageV2 {
		t.Errorf("the Service serves %s, want %s", got, imageV2)
	}
}
