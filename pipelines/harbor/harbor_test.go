package harbor_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/harbor"
	"github.com/ferryml/ferry/pipelines/harbor/harbortest"
)

const (
	user     = "robot$ferry+ci"
	password = "s3cret-Harbor-pw"
	repo     = "models/diamonds"
)

var digest = "sha256:" + strings.Repeat("5e", 32)

func setup(t *testing.T) (*harbortest.Server, *harbor.Client) {
	t.Helper()
	srv := harbortest.New(user, password)
	t.Cleanup(srv.Close)
	c, err := harbor.New(srv.URL, harbor.Credentials{Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestEnsureProjectTwice(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	srv.AddProject("ferry-staging", true) // Harbor's name filter matches it too
	first, err := c.EnsureProject(ctx, "ferry", false)
	if err != nil {
		t.Fatalf("EnsureProject(ferry) error: %v", err)
	}
	second, err := c.EnsureProject(ctx, "ferry", true)
	if err != nil {
		t.Fatalf("EnsureProject(ferry) again error: %v", err)
	}
	if !first.Created || second.Created || first.ID != second.ID || first.ID == 0 {
		t.Errorf("EnsureProject twice = %+v then %+v; want created once, same ID", first, second)
	}
	if second.Public {
		t.Errorf("second EnsureProject(public) = %+v: an existing project's visibility must not change", second)
	}
	if p, ok := srv.Project("ferry"); !ok || p.Metadata.Public != "false" {
		t.Errorf("Harbor's project = %+v, %v; want private", p, ok)
	}
	if lib, err := c.EnsureProject(ctx, "library", false); err != nil || lib.Created || !lib.Public {
		t.Errorf("EnsureProject(library) = %+v, %v; want the existing public project", lib, err)
	}
	if _, err := c.EnsureProject(ctx, "Ferry_Models!", false); err == nil || !strings.Contains(err.Error(), "lowercase") {
		t.Errorf("EnsureProject(bad name) error = %v, want one explaining the naming rule", err)
	}
}

func TestSetRetentionThenUpdate(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	p, err := c.EnsureProject(ctx, "ferry", false)
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.SetRetention(ctx, "ferry", 5, "v*")
	if err != nil {
		t.Fatalf("SetRetention(5, v*) error: %v", err)
	}
	checkPolicy(t, srv, id, p.ID, 5, "v*")
	again, err := c.SetRetention(ctx, "ferry", 3, "")
	if err != nil {
		t.Fatalf("SetRetention(3, \"\") error: %v", err)
	}
	if again != id {
		t.Errorf("SetRetention updated policy %d, want the project's policy %d", again, id)
	}
	checkPolicy(t, srv, id, p.ID, 3, "**")
}

func checkPolicy(t *testing.T, srv *harbortest.Server, id, projectID int64, keep float64, pattern string) {
	t.Helper()
	pol, ok := srv.Policy("ferry")
	if !ok || pol.ID != id || len(pol.Rules) != 1 {
		t.Fatalf("Harbor's policy for ferry = %+v, %v; want policy %d with one rule", pol, ok, id)
	}
	r := pol.Rules[0]
	if r.Template != "latestPushedK" || r.Action != "retain" || r.Params["latestPushedK"] != keep {
		t.Errorf("rule = %+v; want retain latestPushedK=%v", r, keep)
	}
	if len(r.TagSelectors) != 1 || r.TagSelectors[0].Pattern != pattern || r.TagSelectors[0].Decoration != "matches" {
		t.Errorf("tag selectors = %+v; want matches %q", r.TagSelectors, pattern)
	}
	if repos := r.ScopeSelectors["repository"]; len(repos) != 1 || repos[0].Pattern != "**" || repos[0].Decoration != "repoMatches" {
		t.Errorf("repository selectors = %+v; want repoMatches **", repos)
	}
	if pol.Scope == nil || pol.Scope.Level != "project" || pol.Scope.Ref != projectID {
		t.Errorf("scope = %+v; want project %d", pol.Scope, projectID)
	}
}

func TestSetRetentionBadInput(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	before := len(srv.Exchanges())
	if _, err := c.SetRetention(ctx, "ferry", 0, "**"); err == nil || !strings.Contains(err.Error(), "keep at least 1") {
		t.Errorf("SetRetention(keep 0) error = %v", err)
	}
	if _, err := c.SetRetention(ctx, "ferry", 1, "v[1"); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("SetRetention(bad pattern) error = %v", err)
	}
	if n := len(srv.Exchanges()); n != before {
		t.Errorf("bad input sent %d requests, want none", n-before)
	}
	_, err := c.SetRetention(ctx, "absent", 3, "")
	if !harbor.IsNotFound(err) || !strings.Contains(err.Error(), "EnsureProject") {
		t.Errorf("SetRetention(missing project) error = %v; want not found, saying how to fix", err)
	}
}

func TestScanTriggerThenOverview(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	if _, err := c.EnsureProject(ctx, "ferry", false); err != nil {
		t.Fatal(err)
	}
	found := harbortest.Findings{Counts: map[string]int64{"High": 2, "Medium": 1, "Low": 4}, Fixable: 3}
	if err := srv.AddArtifact("ferry", repo, digest, []string{"v1", "latest"}, found); err != nil {
		t.Fatal(err)
	}
	if o, err := c.ScanOverview(ctx, "ferry", repo, "v1"); err != nil || o.Status != harbor.StatusNotScanned || o.Done() {
		t.Errorf("ScanOverview(before a scan) = %+v, %v; want %q", o, err, harbor.StatusNotScanned)
	}
	if err := c.TriggerScan(ctx, "ferry", repo, "v1"); err != nil {
		t.Fatalf("TriggerScan error: %v", err)
	}
	var got []string
	var last harbor.Overview
	for i := 0; i < 10 && !last.Done(); i++ {
		o, err := c.ScanOverview(ctx, "ferry", repo, digest)
		if err != nil {
			t.Fatalf("ScanOverview error: %v", err)
		}
		got, last = append(got, o.Status), o
	}
	if want := []string{"Pending", "Running", "Success"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("scan statuses = %v, want %v", got, want)
	}
	if last.Severity != "High" || last.Total != 7 || last.Fixable != 3 || last.Counts["Low"] != 4 ||
		last.CompletePercent != 100 || last.Scanner == "" || last.End.Before(last.Start) {
		t.Errorf("finished overview = %+v; want High, 7 total, 3 fixable, 4 low, 100%%", last)
	}
}

func TestMissingArtifact(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	if _, err := c.EnsureProject(ctx, "ferry", false); err != nil {
		t.Fatal(err)
	}
	_, err := c.ScanOverview(ctx, "ferry", repo, "v404")
	if !harbor.IsNotFound(err) || harbor.IsUnauthorized(err) || !strings.Contains(err.Error(), "push it first") {
		t.Errorf("ScanOverview(missing) error = %v; want not found, saying how to fix", err)
	}
	if err := c.TriggerScan(ctx, "ferry", repo, "v404"); !harbor.IsNotFound(err) {
		t.Errorf("TriggerScan(missing) error = %v; want not found", err)
	}
}

func TestBadCredentials(t *testing.T) {
	srv, _ := setup(t)
	srv.AddProject("ferry", false)
	c, err := harbor.New(srv.URL, harbor.Credentials{Username: user, Password: "wrong-" + password})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, e1 := c.EnsureProject(ctx, "ferry", false)
	_, e2 := c.SetRetention(ctx, "ferry", 3, "")
	e3 := c.TriggerScan(ctx, "ferry", repo, "v1")
	_, e4 := c.ScanOverview(ctx, "ferry", repo, "v1")
	for i, err := range []error{e1, e2, e3, e4} {
		if !harbor.IsUnauthorized(err) || harbor.IsNotFound(err) || harbor.IsConflict(err) {
			t.Errorf("operation %d with a wrong password: error = %v; want unauthorized", i+1, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "username and password") || strings.Contains(msg, password) {
			t.Errorf("operation %d: error %q must say to check the credentials and never show them", i+1, msg)
		}
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"harbor.example.com", "ftp://harbor", "https://admin:pw@harbor.example.com", "://"} {
		if _, err := harbor.New(u, harbor.Credentials{Username: user, Password: password}); err == nil || strings.Contains(err.Error(), "pw@") {
			t.Errorf("New(%q) error = %v; want a refusal that does not echo credentials", u, err)
		}
	}
	if _, err := harbor.New("https://harbor.example.com", harbor.Credentials{}); err == nil {
		t.Errorf("New(no username) succeeded")
	}
}

// raceTransport creates the project in the fake just before the adapter's
// POST /projects reaches it, as a concurrent pipeline would.
type raceTransport struct {
	srv  *harbortest.Server
	next http.RoundTripper
}

func (rt raceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/projects") {
		rt.srv.AddProject("ferry", false)
	}
	return rt.next.RoundTrip(r)
}

func TestEnsureProjectCreatedConcurrently(t *testing.T) {
	srv, _ := setup(t)
	c, err := harbor.New(srv.URL, harbor.Credentials{Username: user, Password: password},
		harbor.WithTransport(raceTransport{srv, http.DefaultTransport}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.EnsureProject(context.Background(), "ferry", false)
	if err != nil || p.Created || p.ID == 0 {
		t.Errorf("EnsureProject(created meanwhile by another) = %+v, %v; want the existing project, no error", p, err)
	}
	conflicts := 0
	for _, ex := range srv.Exchanges() {
		if ex.Status == http.StatusConflict {
			conflicts++
		}
	}
	if conflicts != 1 {
		t.Errorf("Harbor answered %d conflicts, want 1 (the race did not happen)", conflicts)
	}
}
