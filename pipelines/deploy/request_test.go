package deploy

import (
	"context"
	"os"
	"strings"
	"testing"
)

const imageV2 = "registry.test/diamonds@" + digestV2

func manifests(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/diamonds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRequestCheck(t *testing.T) {
	objs, err := ParseObjects(manifests(t))
	if err != nil {
		t.Fatal(err)
	}
	ok := Request{Env: Staging, Namespace: "ns", Objects: objs, Image: imageV2}
	tests := []struct {
		name    string
		edit    func(*Request)
		wantErr string // "" for success
	}{
		{"staging", func(*Request) {}, ""},
		{"production approved", func(r *Request) { r.Env, r.Approval = Production, "jane, CHG-42" }, ""},
		{"production unapproved", func(r *Request) { r.Env = Production }, "--approve"},
		{"production blank approval", func(r *Request) { r.Env, r.Approval = Production, "  " }, "explicit approval"},
		{"unknown env", func(r *Request) { r.Env = "prod" }, `unknown environment "prod"`},
		{"tag only", func(r *Request) { r.Image = "registry.test/diamonds:v2" }, "has no digest"},
		{"short digest", func(r *Request) { r.Image = "registry.test/diamonds@sha256:abc" }, "has no digest"},
		{"unknown strategy", func(r *Request) { r.Strategy = "blue-green" }, `unknown strategy "blue-green"`},
		{"no objects", func(r *Request) { r.Objects = nil }, "no objects"},
		{"unknown container", func(r *Request) { r.Container = "sidecar" }, `no container "sidecar"`},
		{"two deployments", func(r *Request) { r.Objects = append(r.Objects, r.Objects[len(r.Objects)-1]) }, "two Deployments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			p, err := r.check()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("check() = %v, want nil", err)
				}
				if got := imageOf(p.deployment, p.Container); got != r.Image {
					t.Errorf("image = %q, want %q", got, r.Image)
				}
				if p.objects[len(p.objects)-1].GetKind() != "Deployment" {
					t.Errorf("last object = %s, want the Deployment last", describe(p.objects[len(p.objects)-1]))
				}
				if imageOf(objs[len(objs)-1], "") == r.Image {
					t.Errorf("check() changed the request's objects")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("check() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDigestVerifier(t *testing.T) {
	ctx := context.Background()
	if err := DigestVerifier(digestV2).Verify(ctx, imageV2); err != nil {
		t.Errorf("Verify(matching digest) = %v, want nil", err)
	}
	if err := DigestVerifier(digestV1).Verify(ctx, imageV2); err == nil || !strings.Contains(err.Error(), "verified digest") {
		t.Errorf("Verify(other digest) = %v, want a refusal", err)
	}
	if err := DigestVerifier("").Verify(ctx, imageV2); err == nil {
		t.Errorf("Verify with no verified digest = nil, want a refusal")
	}
}

func TestParseObjectsErrors(t *testing.T) {
	for _, in := range []string{"kind: ConfigMap\nmetadata: {name: x}\n", "a: [\n"} {
		if _, err := ParseObjects([]byte(in)); err == nil {
			t.Errorf("ParseObjects(%q) = nil error, want one", in)
		}
	}
	objs, err := ParseObjects([]byte("---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"))
	if err != nil || len(objs) != 1 {
		t.Errorf("ParseObjects(empty documents + 1) = %d objects, %v; want 1, nil", len(objs), err)
	}
}
