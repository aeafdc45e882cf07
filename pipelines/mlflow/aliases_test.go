package mlflow

import (
	"slices"
	"testing"
)

// TestAliases runs the same alias story against the real alias endpoints and, through a
// proxy that 404s them as an MLflow older than 2.3 would, against the version-tag fallback.
func TestAliases(t *testing.T) {
	srv := realServer(t)
	direct := testClient(t, srv.URL) // reads what is really stored
	modes := []struct {
		name     string
		url      string
		fallback bool
	}{
		{"alias endpoints", srv.URL, false},
		{"version-tag fallback", srv.WithoutRoutes(t, aliasRoutePrefix), true},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			c := testClient(t, mode.url)
			ctx := testCtx(t)
			name := unique(t)
			if _, err := c.EnsureRegisteredModel(ctx, name, ""); err != nil {
				t.Fatal(err)
			}
			run, source := modelRun(t, c)
			var versions []string
			for range 2 {
				v, err := c.CreateModelVersion(ctx, ModelVersionSpec{Name: name, Source: source, RunID: run.Info.RunID})
				if err != nil {
					t.Fatal(err)
				}
				versions = append(versions, v.Version)
			}
			v1, v2 := versions[0], versions[1]

			for _, target := range []string{v1, v2} { // set, then move
				if err := c.SetAlias(ctx, name, "champion", target); err != nil {
					t.Fatalf("SetAlias(champion, %s) = %v", target, err)
				}
				got, err := c.GetModelVersionByAlias(ctx, name, "champion")
				if err != nil || got.Version != target || !slices.Contains(got.Aliases, "champion") {
					t.Errorf("GetModelVersionByAlias(champion) = %+v, %v, want version %s listing the alias", got, err, target)
				}
			}
			if got := c.aliasesMissing.Load(); got != mode.fallback {
				t.Errorf("client in fallback mode = %v, want %v", got, mode.fallback)
			}
			// Where the alias really lives: the server's alias table, or exactly one version tag.
			for _, v := range versions {
				mv, err := direct.GetModelVersion(ctx, name, v)
				if err != nil {
					t.Fatal(err)
				}
				tag, _ := mv.Tag(AliasTagPrefix + "champion")
				wantTag, wantAlias := "", v == v2
				if mode.fallback {
					wantTag, wantAlias = map[bool]string{true: "true"}[v == v2], false
				}
				if tag != wantTag || slices.Contains(mv.Aliases, "champion") != wantAlias {
					t.Errorf("stored version %s: tag %q, aliases %v; want tag %q, alias listed %v", v, tag, mv.Aliases, wantTag, wantAlias)
				}
			}

			if err := c.SetAlias(ctx, name, "champion", "999"); !IsNotFound(err) {
				t.Errorf("SetAlias(champion, missing version) = %v, want not-found", err)
			}
			if err := c.DeleteAlias(ctx, name, "champion"); err != nil {
				t.Fatalf("DeleteAlias(champion) = %v", err)
			}
			if _, err := c.GetModelVersionByAlias(ctx, name, "champion"); !IsNotFound(err) {
				t.Errorf("GetModelVersionByAlias(deleted alias) = %v, want not-found", err)
			}
			if err := c.DeleteAlias(ctx, name, "champion"); err != nil {
				t.Errorf("DeleteAlias(champion) again = %v, want nil", err)
			}
			if _, err := c.GetModelVersionByAlias(ctx, name+"-none", "champion"); !IsNotFound(err) {
				t.Errorf("GetModelVersionByAlias(missing model) = %v, want not-found", err)
			}
		})
	}
}
