package deploy

import (
	"context"
	"testing"

	"github.com/ferryml/ferry/pipelines/manifest"
)

// The real staging overlay (Namespace with the restricted Pod Security Standard, PDB,
// NetworkPolicy, generated ConfigMap, minReadySeconds, a track label in the selector)
// deploys, then takes a canary of the next image and promotes it.
func TestDeployRealManifests(t *testing.T) {
	c := cluster(t)
	t.Parallel()
	render := func(image string) Request {
		b, err := manifest.Render(context.Background(), "../../manifests", Staging, image)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := ParseObjects(b)
		if err != nil {
			t.Fatal(err)
		}
		return request("", image, objs)
	}
	rep := mustDeploy(t, c, render(imageV1))
	if rep.Namespace != "ferry-staging" {
		t.Errorf("namespace = %q, want the overlay's ferry-staging", rep.Namespace)
	}
	req := render(imageV2)
	req.Strategy = Canary
	rep = mustDeploy(t, c, req)
	if rep.Analysis == nil || !rep.Analysis.Passed {
		t.Errorf("analysis = %+v, want passed", rep.Analysis)
	}
	if got := servedImage(t, c, "ferry-staging", 5); got != imageV2 {
		t.Errorf("the Service serves %s, want %s", got, imageV2)
	}
	t.Logf("real staging manifests, canary v1 → v2: %s", rep.Duration)
}
