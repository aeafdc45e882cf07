package retention

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Version is one manifest digest and every tag that points at it.
type Version struct {
	Digest    string   `json:"digest"`
	Tags      []string `json:"tags"` // sorted
	MediaType string   `json:"mediaType"`
	// Created is when the version was built (zero: unknown); CreatedFrom says
	// where that came from: "config", "label", "annotation", "index" or "unknown".
	Created     time.Time `json:"created"`
	CreatedFrom string    `json:"createdFrom"`
	// Manifests lists the digests an index points at (empty for an image).
	Manifests []string `json:"manifests,omitempty"`
	// Subject is set for an artifact attached to another version by cosign's
	// tag scheme (sha256-<hex>.sig, .att, .sbom): it is kept or deleted with it.
	Subject string `json:"subject,omitempty"`
	Keep    bool   `json:"keep"`
	Reason  string `json:"reason"`
}

// Protected is a reference that must survive: the deployed or pinned version.
type Protected struct {
	Ref    string `json:"ref"`           // as given
	Tag    string `json:"tag,omitempty"` // empty for a digest reference
	Digest string `json:"digest"`
}

// Plan is what a retention rule decided for one repository. Versions are
// ranked newest first; a version is newer when its Created is later, then,
// on equal times, when its greatest tag sorts later in natural order (v10
// after v9), then when its digest sorts later. Unknown times rank oldest.
type Plan struct {
	Repository string      `json:"repository"`
	Keep       int         `json:"keep"`
	Protected  []Protected `json:"protected,omitempty"`
	Versions   []Version   `json:"versions"`
}

// Kept returns the versions the plan keeps, newest first.
func (p Plan) Kept() []Version { return p.filter(true) }

// Deletions returns the versions the plan deletes, newest first.
func (p Plan) Deletions() []Version { return p.filter(false) }

func (p Plan) filter(keep bool) []Version {
	var out []Version
	for _, v := range p.Versions {
		if v.Keep == keep {
			out = append(out, v)
		}
	}
	return out
}

// Pruner plans and applies retention rules against one registry API.
type Pruner struct {
	o      options
	puller *remote.Puller
	pusher *remote.Pusher
}

// New returns a Pruner.
func New(opts ...Option) (*Pruner, error) {
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	puller, err := remote.NewPuller(o.remoteOptions()...)
	if err != nil {
		return nil, fmt.Errorf("configuring registry client: %w", err)
	}
	pusher, err := remote.NewPusher(o.remoteOptions()...)
	if err != nil {
		return nil, fmt.Errorf("configuring registry client: %w", err)
	}
	return &Pruner{o: o, puller: puller, pusher: pusher}, nil
}

// Plan decides which versions of repo to keep: the newest keep versions,
// every version a protected reference (tag, digest, or full reference into
// repo) names, and what those need. It deletes nothing. Bad input, and a
// protected reference that is not in the repository, are errors.
func (p *Pruner) Plan(ctx context.Context, repo string, keep int, protected ...string) (Plan, error) {
	if keep < 1 {
		return Plan{}, fmt.Errorf("planning retention for %q: keep is %d; keep at least 1 version (a rule that keeps none would empty the repository)", repo, keep)
	}
	r, err := name.NewRepository(repo, p.o.nameOptions()...)
	if err != nil {
		return Plan{}, fmt.Errorf("parsing repository %q: %w (give REGISTRY/PATH without tag or digest, e.g. 127.0.0.1:5000/ferry/diamonds)", repo, err)
	}
	plan := Plan{Repository: r.Name(), Keep: keep}
	for _, s := range protected {
		pr, err := parseProtected(r, s, p.o.nameOptions())
		if err != nil {
			return Plan{}, err
		}
		plan.Protected = append(plan.Protected, pr)
	}
	tags, err := p.puller.List(ctx, r)
	if err != nil {
		return Plan{}, fmt.Errorf("listing tags of %s: %w", r.Name(), err)
	}
	versions, err := p.resolve(ctx, r, tags)
	if err != nil {
		return Plan{}, err
	}
	pinned, err := p.checkProtected(ctx, r, plan.Protected, versions)
	if err != nil {
		return Plan{}, err
	}
	plan.Versions = decide(versions, keep, plan.Protected, pinned)
	return plan, nil
}

// parseProtected reads a tag ("v3"), a digest ("sha256:…") or a full reference
// into repo ("reg/repo:v3", "reg/repo@sha256:…").
func parseProtected(repo name.Repository, s string, opts []name.Option) (Protected, error) {
	fix := fmt.Sprintf("give a tag (v3), a digest (sha256:…) or a reference into %s", repo.Name())
	var ref name.Reference
	var err error
	switch {
	case strings.HasPrefix(s, "sha256:"):
		ref, err = name.NewDigest(repo.Name()+"@"+s, opts...)
	case s != "" && !strings.ContainsAny(s, "/@:"):
		ref, err = name.NewTag(repo.Name()+":"+s, opts...)
	default:
		ref, err = name.ParseReference(s, opts...)
		if err == nil && ref.Context().Name() != repo.Name() {
			return Protected{}, fmt.Errorf("protected reference %q is in repository %s, not %s: %s", s, ref.Context().Name(), repo.Name(), fix)
		}
	}
	if err != nil {
		return Protected{}, fmt.Errorf("parsing protected reference %q: %w (%s)", s, err, fix)
	}
	if d, ok := ref.(name.Digest); ok {
		return Protected{Ref: s, Digest: d.DigestStr()}, nil
	}
	return Protected{Ref: s, Tag: ref.Identifier()}, nil
}

// checkProtected fills in each protected reference's digest and fails when
// one is not in the repository. It returns the digests that protected
// references pin, including the manifests of a pinned index.
func (p *Pruner) checkProtected(ctx context.Context, repo name.Repository, prot []Protected, versions map[string]*Version) (map[string]string, error) {
	byTag := map[string]string{}
	for d, v := range versions {
		for _, t := range v.Tags {
			byTag[t] = d
		}
	}
	pinned := map[string]string{} // digest -> why
	for i := range prot {
		pr := &prot[i]
		if pr.Tag != "" {
			d, ok := byTag[pr.Tag]
			if !ok {
				return nil, fmt.Errorf("protected tag %q is not in %s: check the deployed/pinned tag (nothing was deleted)", pr.Tag, repo.Name())
			}
			pr.Digest = d
		} else if _, ok := versions[pr.Digest]; !ok {
			desc, err := p.puller.Get(ctx, repo.Digest(pr.Digest))
			if isNotFound(err) {
				return nil, fmt.Errorf("protected digest %s is not in %s: check the deployed/pinned digest (nothing was deleted)", pr.Digest, repo.Name())
			}
			if err != nil {
				return nil, fmt.Errorf("resolving protected digest %s: %w", pr.Digest, err)
			}
			if desc.MediaType.IsIndex() {
				v := &Version{Digest: pr.Digest}
				if err := p.describeIndex(ctx, repo, desc, v); err != nil {
					return nil, err
				}
				for _, m := range v.Manifests {
					pinned[m] = "in protected index " + shortDigest(pr.Digest)
				}
			}
		}
		pinned[pr.Digest] = "protected: " + pr.Ref
	}
	return pinned, nil
}

// isNotFound reports whether a registry answered 404 (MANIFEST_UNKNOWN, NAME_UNKNOWN).
func isNotFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}

func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

// sortedVersions returns the versions newest first (see Plan for the order).
func sortedVersions(m map[string]*Version) []*Version {
	out := make([]*Version, 0, len(m))
	for _, v := range m {
		sort.Strings(v.Tags)
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return newer(out[i], out[j]) })
	return out
}
