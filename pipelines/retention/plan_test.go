package retention

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Bad input is an error that names the problem, and nothing is deleted.
func TestPlanRejectsBadInput(t *testing.T) {
	host := startInProcess(t)
	repo := repoName(t, host, "ferry/diamonds")
	digests := pushDays(t, repo, "v1", "v2", "v3")
	other := repoName(t, host, "ferry/other")
	pushDays(t, other, "v9")
	absent := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name      string
		repo      string
		keep      int
		protected []string
		want      string
	}{
		{"keep zero", repo.Name(), 0, nil, "keep at least 1"},
		{"keep negative", repo.Name(), -2, nil, "keep at least 1"},
		{"malformed repository", host + "/Ferry/UPPER", 1, nil, "parsing repository"},
		{"repository with a tag", repo.Name() + ":v1", 1, nil, "without tag or digest"},
		{"protected tag missing", repo.Name(), 1, []string{"v0"}, `protected tag "v0" is not in`},
		{"protected digest missing", repo.Name(), 1, []string{absent}, "protected digest " + absent + " is not in"},
		{"protected reference elsewhere", repo.Name(), 1, []string{other.Name() + ":v9"}, "not " + repo.Name()},
		{"protected malformed", repo.Name(), 1, []string{"sha256:xyz"}, "parsing protected reference"},
	}
	p := newPruner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Plan(context.Background(), tt.repo, tt.keep, tt.protected...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Plan(%q, %d, %v) error = %v, want one containing %q", tt.repo, tt.keep, tt.protected, err, tt.want)
			}
		})
	}
	for tag, d := range digests {
		if got := resolve(t, repo, tag); got != d {
			t.Errorf("after bad input %s resolves to %q, want %s", tag, got, d)
		}
	}
	// A plan edited to delete a protected digest is refused too.
	plan, err := p.Plan(context.Background(), repo.Name(), 1, "v1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range plan.Versions {
		plan.Versions[i].Keep = plan.Versions[i].Digest == digests["v3"]
	}
	if _, err := p.Apply(context.Background(), plan); err == nil || !strings.Contains(err.Error(), "make a fresh plan") {
		t.Errorf("Apply(plan deleting a protected digest) error = %v, want a refusal", err)
	}
	if resolve(t, repo, "v1") != digests["v1"] {
		t.Errorf("v1 was deleted by a refused plan")
	}
}

// "Newest" is the config's created, else the label, else the annotation; an
// epoch created (reproducible builds) counts as unknown, and unknown ranks oldest.
func TestPlanOrdersByCreated(t *testing.T) {
	host := startInProcess(t)
	repo := repoName(t, host, "ferry/diamonds")
	epoch := time.Unix(0, 0).UTC()
	push(t, repo, randomImage(t, day0.AddDate(0, 0, 3), nil), "config-day3")
	push(t, repo, randomImage(t, epoch, map[string]string{createdKey: day0.AddDate(0, 0, 5).Format(time.RFC3339)}), "label-day5")
	annotated := mutate.Annotations(randomImage(t, epoch, nil), map[string]string{createdKey: day0.AddDate(0, 0, 4).Format(time.RFC3339)}).(v1.Image)
	push(t, repo, annotated, "annotation-day4")
	push(t, repo, randomImage(t, epoch, nil), "unknown-b")
	push(t, repo, randomImage(t, epoch, nil), "unknown-a10")
	push(t, repo, randomImage(t, epoch, nil), "unknown-a9")
	tie := day0.AddDate(0, 0, 1)
	push(t, repo, randomImage(t, tie, nil), "tie-v9")
	push(t, repo, randomImage(t, tie, nil), "tie-v10")

	plan, err := newPruner(t).Plan(context.Background(), repo.Name(), 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"label-day5", "annotation-day4", "config-day3", "tie-v10", "tie-v9", "unknown-b", "unknown-a10", "unknown-a9"}
	if got := tagsOf(plan.Versions); !slices.Equal(got, want) {
		t.Errorf("Plan().Versions tags = %v, want %v", got, want)
	}
	from := map[string]string{}
	for _, v := range plan.Versions {
		from[v.Tags[0]] = v.CreatedFrom
	}
	for tag, want := range map[string]string{"label-day5": "label", "annotation-day4": "annotation", "config-day3": "config", "unknown-b": "unknown"} {
		if from[tag] != want {
			t.Errorf("%s CreatedFrom = %q, want %q", tag, from[tag], want)
		}
	}
	if got := tagsOf(plan.Kept()); !slices.Equal(got, want[:3]) {
		t.Errorf("Kept() = %v, want %v", got, want[:3])
	}
}

// An index is dated by its newest image, and keeps the images it points at.
func TestPlanKeepsImagesOfKeptIndex(t *testing.T) {
	host := startInProcess(t)
	repo := repoName(t, host, "ferry/diamonds")
	amd := randomImage(t, day0, nil)
	arm := randomImage(t, day0.AddDate(0, 0, 2), nil)
	amdDigest := push(t, repo, amd, "v1-amd64") // old, tagged, but part of the index
	push(t, repo, randomImage(t, day0.AddDate(0, 0, 1), nil), "v0")
	idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: amd}, mutate.IndexAddendum{Add: arm})
	if err := remote.WriteIndex(repo.Tag("v1"), idx); err != nil {
		t.Fatal(err)
	}
	plan, err := newPruner(t).Plan(context.Background(), repo.Name(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Versions[0].Tags[0] != "v1" || plan.Versions[0].CreatedFrom != "index" || !plan.Versions[0].Created.Equal(day0.AddDate(0, 0, 2)) {
		t.Errorf("newest version = %+v, want the index v1 dated by its newest image", plan.Versions[0])
	}
	got := map[string]bool{}
	for _, v := range plan.Versions {
		got[v.Tags[0]] = v.Keep
		if v.Digest == amdDigest && !strings.Contains(v.Reason, "in kept index") {
			t.Errorf("v1-amd64 reason = %q", v.Reason)
		}
	}
	if want := map[string]bool{"v1": true, "v1-amd64": true, "v0": false}; !maps.Equal(got, want) {
		t.Errorf("keep by tag = %v, want %v", got, want)
	}
}

func TestNaturalCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"v9", "v10", -1},
		{"1.2.10", "1.2.9", 1},
		{"v1", "v1", 0},
		{"v01", "v1", -1}, // equal numbers: byte order, so the order stays total
		{"a", "b", -1},
		{"v1", "v1-rc", -1},
		{"", "v1", -1},
	}
	for _, tt := range tests {
		if got := naturalCompare(tt.a, tt.b); got != tt.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := naturalCompare(tt.b, tt.a); got != -tt.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}
