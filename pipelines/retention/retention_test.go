package retention

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The newest N versions stay; the rest go, by tag where the registry allows it.
func TestKeepsNewestN(t *testing.T) {
	eachRegistry(t, func(t *testing.T, kind registryKind, host string) {
		repo := repoName(t, host, "ferry/diamonds")
		digests := pushDays(t, repo, "v1", "v2", "v3", "v4", "v5")
		plan, rep := planAndApply(t, newPruner(t), repo, 2)

		if got, want := tagsOf(plan.Kept()), []string{"v5", "v4"}; !slices.Equal(got, want) {
			t.Errorf("Plan(keep 2).Kept() tags = %v, want %v", got, want)
		}
		if rep.TagDelete != kind.tagDelete {
			t.Errorf("Apply().TagDelete = %q, want %q (learnt by trying)", rep.TagDelete, kind.tagDelete)
		}
		if len(rep.Deleted) != 3 || !rep.Verified || len(rep.Lingering) != 0 {
			t.Errorf("Apply() = %+v; want 3 deleted, verified, none lingering", rep)
		}
		for _, tag := range []string{"v1", "v2", "v3"} {
			if d := resolve(t, repo, tag); d != "" {
				t.Errorf("after pruning, %s still resolves to %s", tag, d)
			}
			if digestExists(t, repo, digests[tag]) {
				t.Errorf("after pruning, %s's manifest %s still exists", tag, digests[tag])
			}
		}
		for _, tag := range []string{"v4", "v5"} {
			if d := resolve(t, repo, tag); d != digests[tag] {
				t.Errorf("after pruning, %s resolves to %q, want %s", tag, d, digests[tag])
			}
		}
		// A second run finds nothing more to delete.
		if _, rep := planAndApply(t, newPruner(t), repo, 2); len(rep.Deleted) != 0 {
			t.Errorf("second Apply() deleted %+v, want nothing", rep.Deleted)
		}
	})
}

// A deployed tag and a pinned digest survive however old they are.
func TestProtectedOldVersionsKept(t *testing.T) {
	eachRegistry(t, func(t *testing.T, kind registryKind, host string) {
		repo := repoName(t, host, "ferry/diamonds")
		digests := pushDays(t, repo, "v1", "v2", "v3", "v4")
		plan, rep := planAndApply(t, newPruner(t), repo, 1, "v1", digests["v2"])

		if got, want := tagsOf(plan.Kept()), []string{"v4", "v2", "v1"}; !slices.Equal(got, want) {
			t.Errorf("Kept() = %v, want %v", got, want)
		}
		if len(rep.Deleted) != 1 || rep.Deleted[0].Digest != digests["v3"] {
			t.Errorf("Apply().Deleted = %+v, want only v3 (%s)", rep.Deleted, digests["v3"])
		}
		for _, tag := range []string{"v1", "v2", "v4"} {
			if d := resolve(t, repo, tag); d != digests[tag] {
				t.Errorf("%s resolves to %q, want %s", tag, d, digests[tag])
			}
		}
	})
}

// Tags sharing a digest are one version: keeping one tag keeps the digest,
// and a digest that gains a tag after planning is not deleted under it.
func TestSharedDigest(t *testing.T) {
	eachRegistry(t, func(t *testing.T, kind registryKind, host string) {
		ctx := context.Background()
		repo := repoName(t, host, "ferry/diamonds")
		shared := push(t, repo, randomImage(t, day0, nil), "v1", "rc-1")
		old := push(t, repo, randomImage(t, day0.AddDate(0, 0, 1), nil), "v2", "old-b")
		push(t, repo, randomImage(t, day0.AddDate(0, 0, 5), nil), "v3")
		p := newPruner(t)
		plan, err := p.Plan(ctx, repo.Name(), 1, "rc-1")
		if err != nil {
			t.Fatal(err)
		}
		// After planning, someone tags the doomed digest as "hotfix".
		desc, err := remote.Get(repo.Tag("v2"))
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Tag(repo.Tag("hotfix"), desc); err != nil {
			t.Fatal(err)
		}
		rep, err := p.Apply(ctx, plan)
		if err != nil {
			t.Fatalf("Apply() error: %v", err)
		}
		for _, tag := range []string{"v1", "rc-1"} {
			if d := resolve(t, repo, tag); d != shared {
				t.Errorf("%s resolves to %q, want the protected digest %s", tag, d, shared)
			}
		}
		if d := resolve(t, repo, "hotfix"); d != old {
			t.Errorf("hotfix (tagged after planning) resolves to %q, want %s", d, old)
		}
		if !digestExists(t, repo, old) {
			t.Errorf("digest %s under the new tag hotfix was deleted", old)
		}
		skipped := slices.ContainsFunc(rep.Skipped, func(s Skipped) bool { return s.Digest == old })
		if !skipped {
			t.Errorf("Apply().Skipped = %+v, want %s skipped", rep.Skipped, old)
		}
		if kind.tagDelete == "supported" && resolve(t, repo, "old-b") != "" {
			t.Errorf("old-b still resolves on a registry that deletes tags")
		}
	})
}

// latest is one more tag of the newest version: it stays with it.
func TestLatestOnKeptDigest(t *testing.T) {
	eachRegistry(t, func(t *testing.T, kind registryKind, host string) {
		repo := repoName(t, host, "ferry/diamonds")
		digests := pushDays(t, repo, "v1", "v2", "v3")
		push(t, repo, randomImage(t, day0.AddDate(0, 0, 2), nil), "unused") // a newer image would not share v3's digest
		desc, err := remote.Get(repo.Tag("v3"))
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Tag(repo.Tag("latest"), desc); err != nil {
			t.Fatal(err)
		}
		plan, rep := planAndApply(t, newPruner(t), repo, 2)
		kept := plan.Kept()
		if len(kept) != 2 || !slices.Equal(kept[0].Tags, []string{"latest", "v3"}) && !slices.Equal(kept[1].Tags, []string{"latest", "v3"}) {
			t.Errorf("Kept() = %+v, want latest and v3 together in one kept version", kept)
		}
		if d := resolve(t, repo, "latest"); d != digests["v3"] {
			t.Errorf("latest resolves to %q, want %s", d, digests["v3"])
		}
		if !rep.Verified {
			t.Errorf("Apply().Verified = false")
		}
	})
}

// A dry run reports what would go and deletes nothing.
func TestDryRunDeletesNothing(t *testing.T) {
	eachRegistry(t, func(t *testing.T, kind registryKind, host string) {
		repo := repoName(t, host, "ferry/diamonds")
		digests := pushDays(t, repo, "v1", "v2", "v3")
		_, rep := planAndApply(t, newPruner(t, WithDryRun(true)), repo, 1)
		if len(rep.Deleted) != 0 || len(rep.WouldDelete) != 2 || rep.TagDelete != "untried" || !rep.DryRun {
			t.Errorf("dry-run Apply() = %+v; want nothing deleted, 2 would-delete, tag delete untried", rep)
		}
		for tag, d := range digests {
			if got := resolve(t, repo, tag); got != d {
				t.Errorf("after a dry run %s resolves to %q, want %s", tag, got, d)
			}
		}
	})
}

// A cosign-style signature tag goes with the image it signs and stays with a kept one.
func TestAttachedSignaturesFollowTheirImage(t *testing.T) {
	eachRegistry(t, func(t *testing.T, kind registryKind, host string) {
		repo := repoName(t, host, "ferry/diamonds")
		digests := pushDays(t, repo, "v1", "v2")
		sigTag := func(d string) string { return "sha256-" + d[len("sha256:"):] + ".sig" }
		sig1 := push(t, repo, randomImage(t, day0.AddDate(0, 0, 9), nil), sigTag(digests["v1"]))
		sig2 := push(t, repo, randomImage(t, day0.AddDate(0, 0, 9), nil), sigTag(digests["v2"]))
		plan, rep := planAndApply(t, newPruner(t), repo, 1)
		if got, want := tagsOf(plan.Kept()), []string{"v2", sigTag(digests["v2"])}; !slices.Equal(got, want) {
			t.Errorf("Kept() = %v, want %v (signatures do not count as versions)", got, want)
		}
		if resolve(t, repo, sigTag(digests["v2"])) != sig2 || resolve(t, repo, "v2") != digests["v2"] {
			t.Errorf("v2 or its signature is gone")
		}
		if resolve(t, repo, sigTag(digests["v1"])) != "" || digestExists(t, repo, sig1) {
			t.Errorf("v1's signature survived v1; report %+v", rep)
		}
	})
}
