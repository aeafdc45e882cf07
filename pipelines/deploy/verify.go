package deploy

import (
	"context"
	"fmt"
	"strings"
)

// Verifier checks an image before anything is applied, e.g. its signature.
type Verifier interface {
	// Verify returns nil if imageRef (name@sha256:…) may be deployed.
	Verify(ctx context.Context, imageRef string) error
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, imageRef string) error

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, imageRef string) error { return f(ctx, imageRef) }

// DigestVerifier accepts exactly the image whose digest was verified beforehand (by the
// pipeline's signing stage): any other digest is refused.
type DigestVerifier string

var _ Verifier = DigestVerifier("")

// Verify compares imageRef's digest with v.
func (v DigestVerifier) Verify(_ context.Context, imageRef string) error {
	d, err := Digest(imageRef)
	if err != nil {
		return err
	}
	if string(v) == "" || d != string(v) {
		return fmt.Errorf("image %s has digest %s, but the verified digest is %q: deploy only the image whose signature was checked", imageRef, d, string(v))
	}
	return nil
}

// Digest returns the sha256:… digest of name@sha256:…, or an error for a reference
// without one: a tag can move after it was verified.
func Digest(imageRef string) (string, error) {
	_, d, ok := strings.Cut(imageRef, "@")
	if !ok || !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 || strings.Trim(d[7:], "0123456789abcdef") != "" {
		return "", fmt.Errorf("image %q has no digest: give it as name@sha256:<64 hex digits> (a tag can be moved after it was verified)", imageRef)
	}
	return d, nil
}
