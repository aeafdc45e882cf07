package manifest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// buildDir builds a plain kustomization (no image to set) from disk.
func buildDir(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	b, err := res.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(b)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func str(t *testing.T, u *unstructured.Unstructured, path ...string) string {
	t.Helper()
	s, _, err := unstructured.NestedString(u.Object, path...)
	if err != nil {
		t.Errorf("%s %s: %s: %v", u.GetKind(), u.GetName(), strings.Join(path, "."), err)
	}
	return s
}

// overlayOf checks that a GitOps object's path is an overlay of this
// repository and returns its environment.
func overlayOf(t *testing.T, u *unstructured.Unstructured, path string) string {
	t.Helper()
	clean := strings.TrimPrefix(filepath.Clean(path), "./")
	env := strings.TrimPrefix(clean, "manifests/overlays/")
	if env == clean || strings.Contains(env, "/") {
		t.Errorf("%s %s: path %q is not manifests/overlays/<env>", u.GetKind(), u.GetName(), path)
		return ""
	}
	if kustomizationFile(filepath.Join(manifestsDir, "overlays", env)) == "" {
		t.Errorf("%s %s: path %q has no kustomization", u.GetKind(), u.GetName(), path)
	}
	return env
}

// Flux: one GitRepository and one Kustomization per overlay, with the
// apiVersions Flux v2 serves (source v1, kustomize v1).
func TestFluxObjects(t *testing.T) {
	objs := buildDir(t, filepath.Join(manifestsDir, "gitops", "flux"))
	var sources, covered []string
	for _, u := range objs {
		switch u.GetAPIVersion() + " " + u.GetKind() {
		case "source.toolkit.fluxcd.io/v1 GitRepository":
			sources = append(sources, u.GetName())
			if !strings.HasPrefix(str(t, u, "spec", "url"), "https://") || str(t, u, "spec", "ref", "branch") == "" {
				t.Errorf("GitRepository %s: want an https url and a branch", u.GetName())
			}
		case "kustomize.toolkit.fluxcd.io/v1 Kustomization":
			env := overlayOf(t, u, str(t, u, "spec", "path"))
			covered = append(covered, env)
			if u.GetName() != "ferry-"+env {
				t.Errorf("Kustomization %s: want name ferry-%s", u.GetName(), env)
			}
			if prune, _, _ := unstructured.NestedBool(u.Object, "spec", "prune"); !prune {
				t.Errorf("Kustomization %s: want prune: true", u.GetName())
			}
			if ref := str(t, u, "spec", "sourceRef", "name"); str(t, u, "spec", "sourceRef", "kind") != "GitRepository" || ref != "ferry" {
				t.Errorf("Kustomization %s: sourceRef %q, want the GitRepository ferry", u.GetName(), ref)
			}
		default:
			t.Errorf("unexpected %s %s %s", u.GetAPIVersion(), u.GetKind(), u.GetName())
		}
	}
	if len(sources) != 1 || sources[0] != "ferry" {
		t.Errorf("GitRepositories = %v, want [ferry]", sources)
	}
	wantEveryEnv(t, "Flux Kustomizations", covered)
}

// Argo CD: one Application per overlay (argoproj.io/v1alpha1), deploying to
// the namespace the overlay creates.
func TestArgoCDApplications(t *testing.T) {
	objs := buildDir(t, filepath.Join(manifestsDir, "gitops", "argocd"))
	var covered []string
	for _, u := range objs {
		if u.GetAPIVersion()+" "+u.GetKind() != "argoproj.io/v1alpha1 Application" {
			t.Errorf("unexpected %s %s %s", u.GetAPIVersion(), u.GetKind(), u.GetName())
			continue
		}
		env := overlayOf(t, u, str(t, u, "spec", "source", "path"))
		covered = append(covered, env)
		if got := str(t, u, "spec", "destination", "namespace"); env != "" && got != decode(t, env).ns.Name {
			t.Errorf("Application %s: destination namespace %q, want the overlay's %q", u.GetName(), got, decode(t, env).ns.Name)
		}
		if !strings.HasPrefix(str(t, u, "spec", "source", "repoURL"), "https://") || str(t, u, "spec", "project") == "" {
			t.Errorf("Application %s: want an https repoURL and a project", u.GetName())
		}
	}
	wantEveryEnv(t, "Argo CD Applications", covered)
}

func wantEveryEnv(t *testing.T, what string, covered []string) {
	t.Helper()
	all, err := Envs(manifestsDir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(covered)
	if !slices.Equal(covered, all) {
		t.Errorf("%s cover %v, want each overlay once: %v", what, covered, all)
	}
}
