package retention

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// day0 is when the first test image was "built"; image i is built i days later.
var day0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func repoName(t *testing.T, host, path string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(host + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// randomImage is a small image with created set (zero leaves the epoch).
func randomImage(t *testing.T, created time.Time, labels map[string]string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: created}
	cf.Config.Labels = labels
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// push writes img under each tag and returns its digest.
func push(t *testing.T, repo name.Repository, img v1.Image, tags ...string) string {
	t.Helper()
	for _, tag := range tags {
		if err := remote.Write(repo.Tag(tag), img, remote.WithContext(context.Background())); err != nil {
			t.Fatalf("pushing %s:%s: %v", repo.Name(), tag, err)
		}
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// pushDays pushes one image per tag, tag i built on day i, and returns digests by tag.
func pushDays(t *testing.T, repo name.Repository, tags ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i, tag := range tags {
		out[tag] = push(t, repo, randomImage(t, day0.AddDate(0, 0, i), nil), tag)
	}
	return out
}

// resolve returns the digest a tag points at now, or "" when it does not resolve.
func resolve(t *testing.T, repo name.Repository, tag string) string {
	t.Helper()
	d, err := remote.Head(repo.Tag(tag))
	if isNotFound(err) {
		return ""
	}
	if err != nil {
		t.Fatalf("resolving %s:%s: %v", repo.Name(), tag, err)
	}
	return d.Digest.String()
}

// digestExists reports whether the manifest can still be fetched by digest.
func digestExists(t *testing.T, repo name.Repository, digest string) bool {
	t.Helper()
	_, err := remote.Head(repo.Digest(digest))
	if isNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatalf("checking %s@%s: %v", repo.Name(), digest, err)
	}
	return true
}

func newPruner(t *testing.T, opts ...Option) *Pruner {
	t.Helper()
	p, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// planAndApply plans keep/protected on repo, applies, and fails t on error.
func planAndApply(t *testing.T, p *Pruner, repo name.Repository, keep int, protected ...string) (Plan, Report) {
	t.Helper()
	ctx := context.Background()
	plan, err := p.Plan(ctx, repo.Name(), keep, protected...)
	if err != nil {
		t.Fatalf("Plan(%s, %d, %v) error: %v", repo.Name(), keep, protected, err)
	}
	rep, err := p.Apply(ctx, plan)
	if err != nil {
		t.Fatalf("Apply() error: %v (report %+v)", err, rep)
	}
	return plan, rep
}

func tagsOf(vs []Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Tags...)
	}
	return out
}
