package retention

import (
	"context"
	"fmt"
	"strings"
)

// verify plans again with the same rule and checks that every kept tag and
// every protected reference resolves to the digest the plan saw, and lists
// deleted tags that still resolve.
func (p *Pruner) verify(ctx context.Context, plan Plan, rep *Report) error {
	refs := make([]string, 0, len(plan.Protected))
	for _, pr := range plan.Protected {
		refs = append(refs, pr.Ref)
	}
	after, err := p.Plan(ctx, plan.Repository, plan.Keep, refs...)
	if err != nil {
		return fmt.Errorf("verifying %s after pruning: %w", plan.Repository, err)
	}
	now := map[string]string{}
	for _, v := range after.Versions {
		for _, t := range v.Tags {
			now[t] = v.Digest
		}
	}
	var missing []string
	for _, v := range plan.Kept() {
		for _, t := range v.Tags {
			if now[t] != v.Digest {
				missing = append(missing, fmt.Sprintf("%s (want %s, found %q)", t, v.Digest, now[t]))
			}
		}
	}
	for i, pr := range after.Protected {
		if pr.Digest != plan.Protected[i].Digest {
			missing = append(missing, fmt.Sprintf("%s (want %s, found %s)", pr.Ref, plan.Protected[i].Digest, pr.Digest))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("verifying %s after pruning: kept references no longer resolve to their planned digests: %s",
			plan.Repository, strings.Join(missing, "; "))
	}
	for _, d := range rep.Deleted {
		for _, t := range d.Tags {
			if _, ok := now[t]; ok {
				rep.Lingering = append(rep.Lingering, t)
			}
		}
	}
	rep.Verified = true
	return nil
}
