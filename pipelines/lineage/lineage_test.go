package lineage_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/lineage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	sha1   = "0123456789abcdef0123456789abcdef01234567"
	hexA   = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hexB   = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	digest = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
)

// full is a record with every field set, as a later stage sees it.
func full() lineage.Record {
	return lineage.Record{
		GitSHA: strings.ToUpper(sha1), Branch: "refs/heads/main",
		RepositoryURL: "https://ci-bot:ghp_SECRET@git.example.com/ferryml/ferry.git",
		CIRunURL:      "https://ci.example.com/ferryml/ferry/runs/42", PipelineVersion: "0.3.0",
		DataFiles:           []lineage.FileHash{{Name: "reference.csv", SHA256: hexB}, {Name: "batch-001.csv", SHA256: hexA}},
		TrainingImageDigest: digest, RequirementsHash: hexA, ModelName: "diamonds", ModelKind: "Candidate",
		ServingImageDigest: digest, SignatureDigest: digest, SBOMDigest: digest,
		MLflowRunID: "9f1c2b", MLflowVersion: "3",
	}
}

func TestTagsGolden(t *testing.T) {
	r, err := lineage.New(full())
	if err != nil {
		t.Fatalf("New(full()) = %v", err)
	}
	got, err := json.MarshalIndent(r.Tags(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "tags.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (go test -update writes it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Tags() differs from %s (go test -update rewrites it):\n%s", golden, lineDiff(string(want), string(got)))
	}
	keys := slices.Sorted(maps.Keys(r.Tags()))
	if !slices.Equal(keys, lineage.TagKeys()) {
		t.Errorf("Tags() of a full record has keys %v, want TagKeys() = %v", keys, lineage.TagKeys())
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, lineage.Prefix) {
			t.Errorf("tag key %q lacks prefix %q", k, lineage.Prefix)
		}
	}
}

// lineDiff shows the lines of want and got that differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
		}
	}
	return b.String()
}

func TestRoundTrip(t *testing.T) {
	minimal := lineage.Record{GitSHA: sha1, DataHash: hexA, ModelName: "wine", ModelKind: lineage.Baseline}
	for _, tt := range []struct {
		name string
		in   lineage.Record
	}{{"full", full()}, {"minimal", minimal}} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := lineage.New(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			tags := r.Tags()
			tags["mlflow.runName"] = "not lineage"
			tags[lineage.Prefix+"from_the_future"] = "ignored"
			back, err := lineage.FromTags(tags)
			if err != nil || !reflect.DeepEqual(back, r) {
				t.Errorf("FromTags(Tags()) = %+v, %v, want %+v", back, err, r)
			}
			if back.Key() != r.Key() {
				t.Errorf("FromTags(Tags()).Key() = %s, want %s", back.Key(), r.Key())
			}
		})
	}
	tags := minimal.Tags()
	tags[lineage.TagGitSHA] = strings.Repeat("f", 40)
	if _, err := lineage.FromTags(tags); err == nil || !strings.Contains(err.Error(), lineage.TagKey) {
		t.Errorf("FromTags(tags with an edited git sha) = %v, want an error naming %s", err, lineage.TagKey)
	}
	tags = minimal.Tags()
	tags[lineage.TagDataFiles] = "not a manifest"
	if _, err := lineage.FromTags(tags); err == nil || !strings.Contains(err.Error(), lineage.TagDataFiles) {
		t.Errorf("FromTags(bad %s) = %v, want an error naming it", lineage.TagDataFiles, err)
	}
}

func TestNormalize(t *testing.T) {
	r := full().Normalize()
	if r.GitSHA != sha1 || r.Branch != "main" || r.ModelKind != lineage.Candidate {
		t.Errorf("Normalize() = git sha %q, branch %q, kind %q; want %q, main, candidate", r.GitSHA, r.Branch, r.ModelKind, sha1)
	}
	if r.RepositoryURL != "https://git.example.com/ferryml/ferry.git" {
		t.Errorf("Normalize().RepositoryURL = %q, want the URL without credentials", r.RepositoryURL)
	}
	if r.DataFiles[0].Name != "batch-001.csv" || r.DataHash != lineage.Combine(r.DataFiles) {
		t.Errorf("Normalize() data = %v, %s; want sorted files and their combined hash", r.DataFiles, r.DataHash)
	}
	for k, v := range full().Tags() { // Tags normalizes an unnormalized record too
		if strings.Contains(v, "SECRET") || strings.Contains(v, "ci-bot") {
			t.Errorf("Tags()[%s] = %q holds a credential", k, v)
		}
	}
}

func TestKey(t *testing.T) {
	base := full()
	same := base
	same.Branch, same.CIRunURL, same.PipelineVersion, same.ServingImageDigest = "other", "https://ci/2", "9", ""
	same.MLflowRunID, same.MLflowVersion, same.RepositoryURL = "", "", ""
	if base.Key() != same.Key() {
		t.Errorf("Key() changed with fields outside the key (branch, CI run, later stages)")
	}
	for _, tt := range []struct {
		name   string
		change func(*lineage.Record)
	}{
		{"git sha", func(r *lineage.Record) { r.GitSHA = strings.Repeat("1", 40) }},
		{"data", func(r *lineage.Record) { r.DataFiles = r.DataFiles[:1] }},
		{"requirements", func(r *lineage.Record) { r.RequirementsHash = hexB }},
		{"training image", func(r *lineage.Record) { r.TrainingImageDigest = "" }},
		{"model kind", func(r *lineage.Record) { r.ModelKind = lineage.Baseline }},
	} {
		r := full()
		tt.change(&r)
		if r.Key() == base.Key() {
			t.Errorf("Key() did not change with the %s", tt.name)
		}
	}
}
