package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// createdKey is the OCI annotation (and, by convention, image label) for build time.
const createdKey = "org.opencontainers.image.created"

// resolve fetches every tag's manifest, groups tags by digest and reads each
// version's creation time. A tag deleted meanwhile is skipped.
func (p *Pruner) resolve(ctx context.Context, repo name.Repository, tags []string) (map[string]*Version, error) {
	descs := make([]*remote.Descriptor, len(tags))
	err := forEach(ctx, len(tags), p.o.jobs, func(i int) error {
		d, err := p.puller.Get(ctx, repo.Tag(tags[i]))
		if isNotFound(err) {
			p.o.logger.Debug("tag vanished while planning", "repository", repo.Name(), "tag", tags[i])
			return nil
		}
		if err != nil {
			return fmt.Errorf("resolving %s:%s: %w", repo.Name(), tags[i], err)
		}
		descs[i] = d
		return nil
	})
	if err != nil {
		return nil, err
	}
	versions := map[string]*Version{}
	var firsts []*remote.Descriptor
	for i, d := range descs {
		if d == nil {
			continue
		}
		dg := d.Digest.String()
		v, ok := versions[dg]
		if !ok {
			v = &Version{Digest: dg, MediaType: string(d.MediaType)}
			versions[dg] = v
			firsts = append(firsts, d)
		}
		v.Tags = append(v.Tags, tags[i])
	}
	err = forEach(ctx, len(firsts), p.o.jobs, func(i int) error {
		d := firsts[i]
		v := versions[d.Digest.String()]
		if d.MediaType.IsIndex() {
			return p.describeIndex(ctx, repo, d, v)
		}
		v.Created, v.CreatedFrom = p.imageCreated(d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		p.o.logger.Debug("resolved version", "repository", repo.Name(), "digest", v.Digest, "tags", v.Tags,
			"created", v.Created, "from", v.CreatedFrom)
	}
	return versions, nil
}

// describeIndex lists an index's manifests and dates it: its own created
// annotation, else the newest date among its images.
func (p *Pruner) describeIndex(ctx context.Context, repo name.Repository, d *remote.Descriptor, v *Version) error {
	var im v1.IndexManifest
	if err := json.Unmarshal(d.Manifest, &im); err != nil {
		return fmt.Errorf("reading index %s@%s: %w", repo.Name(), d.Digest, err)
	}
	v.Manifests = v.Manifests[:0]
	for _, m := range im.Manifests {
		v.Manifests = append(v.Manifests, m.Digest.String())
	}
	if t, ok := parseTime(im.Annotations[createdKey]); ok {
		v.Created, v.CreatedFrom = t, "annotation"
		return nil
	}
	v.CreatedFrom = "unknown"
	for _, m := range im.Manifests {
		if m.MediaType.IsIndex() {
			continue // nested indexes are rare; their images are not dated here
		}
		child, err := p.puller.Get(ctx, repo.Digest(m.Digest.String()))
		if err != nil {
			return fmt.Errorf("reading %s@%s (in index %s): %w", repo.Name(), m.Digest, d.Digest, err)
		}
		if t, from := p.imageCreated(child); from != "unknown" && t.After(v.Created) {
			v.Created, v.CreatedFrom = t, "index"
		}
	}
	return nil
}

// imageCreated dates an image: the config's created, else the config label
// org.opencontainers.image.created, else the manifest annotation of that name.
// A created at or before the Unix epoch is what reproducible builds write
// (SOURCE_DATE_EPOCH=0, ko, Bazel) and counts as unknown.
func (p *Pruner) imageCreated(d *remote.Descriptor) (time.Time, string) {
	img, err := d.Image()
	if err != nil {
		return time.Time{}, "unknown"
	}
	if cf, err := img.ConfigFile(); err == nil && cf != nil {
		if t := cf.Created.Time; t.After(time.Unix(0, 0)) {
			return t.UTC(), "config"
		}
		if t, ok := parseTime(cf.Config.Labels[createdKey]); ok {
			return t, "label"
		}
	}
	if m, err := img.Manifest(); err == nil && m != nil {
		if t, ok := parseTime(m.Annotations[createdKey]); ok {
			return t, "annotation"
		}
	}
	return time.Time{}, "unknown"
}

func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !t.After(time.Unix(0, 0)) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// forEach runs fn(0..n-1) with at most jobs at once and returns the first error.
func forEach(ctx context.Context, n, jobs int, fn func(int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, max(jobs, 1))
	)
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			mu.Lock()
			first = cmpErr(first, err)
			mu.Unlock()
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				first = cmpErr(first, err)
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	return first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}
