package lineage_test

import (
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/lineage"
)

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(*lineage.Record)
		want   []string // substrings of the error; none: valid
	}{
		{"full", func(*lineage.Record) {}, nil},
		{"no git sha", func(r *lineage.Record) { r.GitSHA = "" }, []string{"git sha (GitSHA) is missing", "git rev-parse HEAD"}},
		{"short git sha", func(r *lineage.Record) { r.GitSHA = "0123abc" }, []string{"GitSHA", "40 or 64 hex"}},
		{"no data", func(r *lineage.Record) { r.DataFiles, r.DataHash = nil, "" }, []string{"data hash", "lineage.HashFiles"}},
		{"data hash mismatch", func(r *lineage.Record) { r.DataHash = hexA }, []string{"does not match DataFiles"}},
		{"data hash only", func(r *lineage.Record) { r.DataFiles, r.DataHash = nil, hexA }, nil},
		{"bad file hash", func(r *lineage.Record) { r.DataFiles[0].SHA256 = "xyz" }, []string{"data file", "64 hex"}},
		{"image tag", func(r *lineage.Record) { r.TrainingImageDigest = "train:latest" }, []string{"TrainingImageDigest", "not a tag"}},
		{"requirements", func(r *lineage.Record) { r.RequirementsHash = "md5:1" }, []string{"RequirementsHash", "HashFile"}},
		{"no model", func(r *lineage.Record) { r.ModelName = "" }, []string{"model name (ModelName)"}},
		{"bad kind", func(r *lineage.Record) { r.ModelKind = "champion" }, []string{"ModelKind", "baseline"}},
		{"two problems", func(r *lineage.Record) { r.GitSHA, r.DataFiles = "", nil }, []string{"GitSHA", "DataFiles"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := full()
			r.DataFiles = append([]lineage.FileHash(nil), r.DataFiles...)
			tt.change(&r)
			_, err := lineage.New(r)
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("New() = %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("New() = nil, want an error with %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestStripCredentials(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://user:token@github.com/ferryml/ferry.git", "https://github.com/ferryml/ferry.git"},
		{"https://x-access-token:ghs_abc@github.com/o/r", "https://github.com/o/r"},
		{"https://oauth2@gitlab.example.com/o/r.git", "https://gitlab.example.com/o/r.git"},
		{"http://u:p@host:8080/o/r?private_token=abc#frag", "http://host:8080/o/r"},
		{"ssh://git@host:2222/o/r.git", "ssh://host:2222/o/r.git"},
		{"git@github.com:ferryml/ferry.git", "github.com:ferryml/ferry.git"},
		{"https://user:pa/ss@host/o/r", "https://host/o/r"},  // unescaped slash in the password
		{"https://user:p@ss@host/o/r", "https://host/o/r"},   // unescaped @ in the password
		{"https://github.com/o/r", "https://github.com/o/r"}, // nothing to strip
		{"  /srv/git/ferry.git ", "/srv/git/ferry.git"},      // a local path
		{"", ""},
	} {
		if got := lineage.StripCredentials(tt.in); got != tt.want {
			t.Errorf("StripCredentials(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateTag(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		ok         bool
	}{
		{lineage.TagServingImageDigest, digest, true},
		{lineage.TagSBOMDigest, strings.ToUpper(digest[7:]), false},
		{lineage.TagSignatureDigest, "registry/app:v1", false},
		{lineage.TagMLflowVersion, "12", true},
		{lineage.TagMLflowVersion, "latest", false},
		{lineage.TagGitSHA, "abc", false},
		{lineage.TagKey, "x", false},
		{lineage.TagDataFiles, "x", false},
		{lineage.Prefix + "made_up", "x", false},
	} {
		err := lineage.ValidateTag(tt.key, tt.value)
		if (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), tt.key)) {
			t.Errorf("ValidateTag(%s, %q) = %v, want ok=%v and an error naming the key", tt.key, tt.value, err, tt.ok)
		}
	}
}
