package harbortest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/harbor/harbortest"
)

// The fake behaves like Harbor where the adapter could get it wrong: basic
// auth on every route, and a repository name with a slash encoded twice.
func TestFakeRoutingAndAuth(t *testing.T) {
	srv := harbortest.New("admin", "pw")
	defer srv.Close()
	srv.AddProject("ferry", false)
	if err := srv.AddArtifact("ferry", "models/diamonds", "sha256:"+strings.Repeat("0", 64), []string{"v1"}, harbortest.Findings{}); err != nil {
		t.Fatal(err)
	}
	base := srv.URL + harbortest.BasePath + "/projects/ferry/repositories/"
	tests := []struct {
		name, url, user, pass string
		want                  int
	}{
		{"double-encoded slash", base + "models%252Fdiamonds/artifacts/v1", "admin", "pw", 200},
		{"single-encoded slash", base + "models%2Fdiamonds/artifacts/v1", "admin", "pw", 404},
		{"raw slash", base + "models/diamonds/artifacts/v1", "admin", "pw", 404},
		{"wrong password", base + "models%252Fdiamonds/artifacts/v1", "admin", "nope", 401},
		{"no credentials", base + "models%252Fdiamonds/artifacts/v1", "", "", 401},
		{"unknown tag", base + "models%252Fdiamonds/artifacts/v2", "admin", "pw", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("GET %s = %d, want %d", tt.url, resp.StatusCode, tt.want)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+harbortest.BasePath+"/projects", nil)
	req.SetBasicAuth("admin", "pw")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /projects = %v, %v; want 405", resp, err)
	}
}
