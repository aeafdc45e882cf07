package retention

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Report is what Apply did (or, in a dry run, would do).
type Report struct {
	Repository string `json:"repository"`
	DryRun     bool   `json:"dryRun"`
	// TagDelete is what the registry did with a tag DELETE: "supported",
	// "unsupported" (deletes fell back to digests) or "untried".
	TagDelete   string    `json:"tagDelete"`
	Deleted     []Deleted `json:"deleted"`
	WouldDelete []Deleted `json:"wouldDelete,omitempty"` // dry run only
	Skipped     []Skipped `json:"skipped,omitempty"`
	Kept        []string  `json:"kept"` // tags of kept versions, then protected references
	// Lingering lists deleted tags that still resolve afterwards: a registry
	// that leaves tags in place when their digest is deleted.
	Lingering []string `json:"lingering,omitempty"`
	// Verified is true when a fresh plan after the run found every kept and
	// protected reference at its planned digest.
	Verified bool `json:"verified"`
}

// Deleted is one version removed from the repository.
type Deleted struct {
	Digest string   `json:"digest"`
	Tags   []string `json:"tags"`
	// By is how: "tag" (each tag deleted; the manifest is left to the
	// registry's garbage collection), "tag+digest", or "digest" (which removed
	// the tags with it).
	By string `json:"by"`
}

// Skipped is a planned deletion that Apply did not carry out, and why.
type Skipped struct {
	Digest string   `json:"digest"`
	Tags   []string `json:"tags,omitempty"`
	Reason string   `json:"reason"`
}

// Apply deletes what plan marks for deletion, re-checking each tag first: a
// tag that moved since planning is not deleted, and a digest is deleted only
// when no tag outside the plan points at it. It then plans again and fails
// unless every kept and protected reference still resolves to its planned
// digest.
func (p *Pruner) Apply(ctx context.Context, plan Plan) (Report, error) {
	rep := Report{Repository: plan.Repository, DryRun: p.o.dryRun, TagDelete: "untried", Deleted: []Deleted{}}
	repo, err := checkPlan(plan, p.o.nameOptions())
	if err != nil {
		return rep, err
	}
	for _, v := range plan.Kept() {
		rep.Kept = append(rep.Kept, v.Tags...)
	}
	for _, pr := range plan.Protected {
		rep.Kept = append(rep.Kept, pr.Ref)
	}
	dels := plan.Deletions()
	if p.o.dryRun {
		for _, v := range dels {
			rep.WouldDelete = append(rep.WouldDelete, Deleted{Digest: v.Digest, Tags: v.Tags, By: "dry run"})
		}
	} else if len(dels) > 0 {
		current, err := p.currentTags(ctx, repo)
		if err != nil {
			return rep, err
		}
		for i := len(dels) - 1; i >= 0; i-- { // oldest first
			if err := p.deleteVersion(ctx, repo, dels[i], current, &rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, p.verify(ctx, plan, &rep)
}

// checkPlan refuses a plan that is malformed or contradicts itself.
func checkPlan(plan Plan, opts []name.Option) (name.Repository, error) {
	if plan.Keep < 1 {
		return name.Repository{}, fmt.Errorf("applying retention plan for %q: keep is %d; make the plan with Plan and keep at least 1", plan.Repository, plan.Keep)
	}
	repo, err := name.NewRepository(plan.Repository, opts...)
	if err != nil {
		return repo, fmt.Errorf("applying retention plan: parsing repository %q: %w", plan.Repository, err)
	}
	protected := map[string]string{}
	for _, pr := range plan.Protected {
		protected[pr.Digest] = pr.Ref
	}
	for _, v := range plan.Deletions() {
		if ref, ok := protected[v.Digest]; ok {
			return repo, fmt.Errorf("applying retention plan for %s: it deletes %s, which protected reference %q names; make a fresh plan", repo.Name(), v.Digest, ref)
		}
	}
	return repo, nil
}

// currentTags maps every tag in the repository now to its digest.
func (p *Pruner) currentTags(ctx context.Context, repo name.Repository) (map[string]string, error) {
	tags, err := p.puller.List(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("listing tags of %s: %w", repo.Name(), err)
	}
	digests := make([]string, len(tags))
	err = forEach(ctx, len(tags), p.o.jobs, func(i int) error {
		d, err := p.puller.Head(ctx, repo.Tag(tags[i]))
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("resolving %s:%s: %w", repo.Name(), tags[i], err)
		}
		digests[i] = d.Digest.String()
		return nil
	})
	out := map[string]string{}
	for i, t := range tags {
		if digests[i] != "" {
			out[t] = digests[i]
		}
	}
	return out, err
}

// deleteVersion removes one planned version: its tags one by one where the
// registry allows it, else its digest when only planned tags point at it.
func (p *Pruner) deleteVersion(ctx context.Context, repo name.Repository, v Version, current map[string]string, rep *Report) error {
	var tags, others []string
	for t, d := range current {
		switch {
		case d == v.Digest && slices.Contains(v.Tags, t):
			tags = append(tags, t)
		case d == v.Digest:
			others = append(others, t)
		}
	}
	slices.Sort(tags)
	slices.Sort(others)
	log := p.o.logger.With("repository", repo.Name(), "digest", v.Digest)
	if len(tags) == 0 {
		rep.Skipped = append(rep.Skipped, Skipped{Digest: v.Digest, Tags: v.Tags, Reason: "its tags moved or vanished since planning"})
		return nil
	}
	if rep.TagDelete != "unsupported" {
		var removed []string
		for _, t := range tags {
			err := p.pusher.Delete(ctx, repo.Tag(t))
			switch {
			case err == nil || isNotFound(err):
				rep.TagDelete = "supported"
				removed = append(removed, t)
				log.Info("deleted tag", "tag", t)
			case rep.TagDelete == "untried" && tagDeleteUnsupported(err):
				rep.TagDelete = "unsupported"
				log.Info("registry does not delete tags; deleting by digest instead", "answer", err.Error())
			default:
				return fmt.Errorf("deleting tag %s:%s: %w", repo.Name(), t, err)
			}
			if rep.TagDelete == "unsupported" {
				break
			}
		}
		if rep.TagDelete == "supported" {
			return p.deleteUntagged(ctx, repo, v.Digest, removed, others, rep)
		}
	}
	if len(others) > 0 {
		rep.Skipped = append(rep.Skipped, Skipped{Digest: v.Digest, Tags: tags, Reason: fmt.Sprintf(
			"tags %s (not planned for deletion) point at it, and this registry deletes only by digest, which would remove them", strings.Join(others, ", "))})
		return nil
	}
	if err := p.pusher.Delete(ctx, repo.Digest(v.Digest)); err != nil && !isNotFound(err) {
		return fmt.Errorf("deleting %s@%s: %w (a registry must allow deletes, e.g. distribution's storage.delete.enabled: true)", repo.Name(), v.Digest, err)
	}
	log.Info("deleted digest", "tags", tags)
	rep.Deleted = append(rep.Deleted, Deleted{Digest: v.Digest, Tags: tags, By: "digest"})
	return nil
}

// deleteUntagged deletes a digest whose planned tags are gone, unless other tags
// now point at it; a registry that refuses leaves it to garbage collection.
func (p *Pruner) deleteUntagged(ctx context.Context, repo name.Repository, digest string, removed, others []string, rep *Report) error {
	d := Deleted{Digest: digest, Tags: removed, By: "tag"}
	if len(others) > 0 {
		rep.Skipped = append(rep.Skipped, Skipped{Digest: digest, Reason: fmt.Sprintf(
			"tags deleted, digest kept: tags %s (not planned for deletion) point at it", strings.Join(others, ", "))})
		rep.Deleted = append(rep.Deleted, d)
		return nil
	}
	err := p.pusher.Delete(ctx, repo.Digest(digest))
	switch {
	case err == nil || isNotFound(err):
		d.By = "tag+digest"
	case tagDeleteUnsupported(err):
		p.o.logger.Info("registry refused to delete the untagged digest; left to its garbage collection", "digest", digest)
	default:
		return fmt.Errorf("deleting %s@%s after its tags: %w", repo.Name(), digest, err)
	}
	rep.Deleted = append(rep.Deleted, d)
	return nil
}

// tagDeleteUnsupported reports whether a DELETE was refused as a kind of
// request the registry does not do (distribution 2.8.2 answers a tag DELETE
// with 400 DIGEST_INVALID), as opposed to a failure.
func tagDeleteUnsupported(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusBadRequest || te.StatusCode == http.StatusMethodNotAllowed {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.UnsupportedErrorCode {
			return true
		}
	}
	return false
}
