// Package catalog pins every third-party image the pipeline runs, by tag and
// digest, and resolves them through an optional lock that overrides the pins
// (the offline test bed serves its own builds of the same names).
package catalog

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Pins are the images the pipeline uses, as name:tag@digest. Tags and
// digests are listed at https://hub.docker.com/_/<name>/tags; the digests
// below were taken from public pinned references on 2026-11-25 and could not
// be re-resolved from this offline machine: re-check them with
// `crane digest <name:tag>` when bumping.
var Pins = map[string]string{
	"python":   "docker.io/library/python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91",
	"golang":   "docker.io/library/golang:1.26.8-bookworm@sha256:a688600ca24f8a4d3ca77f95b0dd40704a9fc787c826660eb7ba0b641b8b175d",
	"registry": "docker.io/library/registry:2@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373",
	// https://hub.docker.com/r/aquasec/trivy/tags
	"trivy": "docker.io/aquasec/trivy:0.74.0@sha256:62b1e65e8869bc4b4c6aa4fa2b21595256c7c2f6018a9d9ad61caf87187c1969",
	// https://github.com/sigstore/cosign/pkgs/container/cosign%2Fcosign
	"cosign": "ghcr.io/sigstore/cosign/cosign:v3.1.3@sha256:9e5c2f2edc34351160407ca3416c61855bdf9403c3c5936e0f0be7fc261611b8",
	// https://hub.docker.com/r/rancher/k3s/tags: a whole single-node cluster.
	"k3s": "docker.io/rancher/k3s:v1.37.1-k3s1@sha256:ca7f37d993d82ef0dcdcfecb2e0e2618ea541dbaffc620c8cedebe01a82acd0d",
	// MLflow's images: https://github.com/mlflow/mlflow/pkgs/container/mlflow.
	"mlflow": "ghcr.io/mlflow/mlflow:v3.17.2",
}

// Unresolved lists the pins that carry a tag but no digest, and why. Each
// is a known gap, shown as such by Table; resolve it with
// `crane digest <name:tag>` on a machine that reaches the registry.
var Unresolved = map[string]string{
	"mlflow": "no public reference to the digest of ghcr.io/mlflow/mlflow:v3.17.2 was found, and ghcr.io is unreachable from the machine this was pinned on",
}

// Catalog resolves logical image names ("python") to pinned references.
type Catalog struct {
	pins map[string]string // logical name → name:tag@digest
	lock map[string]string // name:tag → name:tag@digest
}

// New returns the catalog of the built-in pins.
func New() *Catalog {
	return &Catalog{pins: Pins, lock: map[string]string{}}
}

var pinned = regexp.MustCompile(`^([a-z0-9.-]+(?::[0-9]+)?/[a-z0-9._/-]+):([A-Za-z0-9_][A-Za-z0-9_.-]*)@sha256:[0-9a-f]{64}$`)

// WithLock returns a catalog in which references listed in lock replace the
// built-in pins of the same name:tag. A lock is a JSON object mapping
// "name:tag" to "name:tag@sha256:…" (the test bed writes one).
func (c *Catalog) WithLock(data []byte) (*Catalog, error) {
	var lock map[string]string
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("reading image lock: %w (want a JSON object of \"name:tag\": \"name:tag@sha256:…\")", err)
	}
	keys := make([]string, 0, len(lock))
	for k := range lock {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := lock[k]
		m := pinned.FindStringSubmatch(v)
		if m == nil {
			return nil, fmt.Errorf("image lock: %q: %q is not pinned as name:tag@sha256:<64 hex>", k, v)
		}
		if m[1]+":"+m[2] != k {
			return nil, fmt.Errorf("image lock: key %q does not match the reference %q it maps to", k, v)
		}
	}
	return &Catalog{pins: c.pins, lock: lock}, nil
}

// Ref returns the pinned reference of a logical image name.
func (c *Catalog) Ref(name string) (string, error) {
	pin, ok := c.pins[name]
	if !ok {
		return "", fmt.Errorf("no image named %q in the catalog (known: %s)", name, strings.Join(c.Names(), ", "))
	}
	tagged, _, _ := strings.Cut(pin, "@")
	if locked, ok := c.lock[tagged]; ok {
		return locked, nil
	}
	return pin, nil
}

// Names lists the logical names, sorted.
func (c *Catalog) Names() []string {
	names := make([]string, 0, len(c.pins))
	for n := range c.pins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Table renders the catalog as name, reference and where it comes from.
func (c *Catalog) Table() string {
	var b strings.Builder
	for _, n := range c.Names() {
		ref, _ := c.Ref(n)
		source := "pinned"
		switch {
		case ref != c.pins[n]:
			source = "lock"
		case Unresolved[n] != "":
			source = "TAG-ONLY"
		}
		fmt.Fprintf(&b, "%-10s %-6s %s\n", n, source, ref)
	}
	return b.String()
}
