package manifest

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Image is an image reference pinned by digest, split the way kustomize's
// images transformer takes it.
type Image struct {
	Name   string // repository as given, e.g. registry.example.com/ferry/diamonds
	Tag    string // optional and informational: the digest decides what runs
	Digest string // algorithm:hex, e.g. sha256:9f86…
}

// String returns name[:tag]@digest.
func (i Image) String() string {
	s := i.Name
	if i.Tag != "" {
		s += ":" + i.Tag
	}
	return s + "@" + i.Digest
}

// digestHex gives the hex length of each digest algorithm the OCI image spec
// registers.
var digestHex = map[string]int{"sha256": 64, "sha512": 128}

var lowerHex = regexp.MustCompile(`^[a-f0-9]+$`)

// ParseImage splits ref (name[:tag]@sha256:<64 hex>) and refuses a reference
// that is not pinned by a well-formed digest: a tag alone can move, so a
// rendered overlay would not say what it deploys.
func ParseImage(ref string) (Image, error) {
	const want = "want name@sha256:<64 lowercase hex>, as the image push step prints it"
	if strings.TrimSpace(ref) != ref || ref == "" {
		return Image{}, fmt.Errorf("image %q: empty or padded with spaces (%s)", ref, want)
	}
	base, digest, ok := strings.Cut(ref, "@")
	if !ok {
		return Image{}, fmt.Errorf("image %q has no digest: pin it by digest (%s)", ref, want)
	}
	algo, hex, ok := strings.Cut(digest, ":")
	n, known := digestHex[algo]
	switch {
	case !ok || !known:
		return Image{}, fmt.Errorf("image %q: digest %q: unknown algorithm %q (%s)", ref, digest, algo, want)
	case len(hex) != n:
		return Image{}, fmt.Errorf("image %q: digest %q: want %d hex characters after %q, got %d (%s)",
			ref, digest, n, algo+":", len(hex), want)
	case !lowerHex.MatchString(hex):
		return Image{}, fmt.Errorf("image %q: digest %q: want only lowercase hex characters (0-9, a-f) after %q (%s)",
			ref, digest, algo+":", want)
	}
	img := Image{Name: base, Digest: digest}
	// A tag is what follows the last colon after the last slash (a colon
	// before it belongs to a registry port).
	if i := strings.LastIndex(base, ":"); i > strings.LastIndex(base, "/") {
		img.Name, img.Tag = base[:i], base[i+1:]
	}
	if _, err := name.NewRepository(img.Name); err != nil {
		return Image{}, fmt.Errorf("image %q: repository %q: %w", ref, img.Name, err)
	}
	if img.Tag != "" {
		if _, err := name.NewTag(base); err != nil {
			return Image{}, fmt.Errorf("image %q: tag %q: %w", ref, img.Tag, err)
		}
	}
	return img, nil
}
