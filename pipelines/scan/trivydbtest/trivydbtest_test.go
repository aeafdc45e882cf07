package trivydbtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	dbtypes "github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Seeded test data: real advisories (CVE-2023-5363 in Debian 12's openssl,
// fixed by DSA-5532-1 in 3.0.11-1~deb12u2; CVE-2024-5206 in scikit-learn,
// GHSA-jw8x-6495-233v, fixed in 1.5.0), copied into a DB built here.
var seeded = []Advisory{
	{Source: "debian 12", Package: "openssl", VulnerabilityID: "CVE-2023-5363", FixedVersion: "3.0.11-1~deb12u2", Severity: "HIGH",
		Title: "openssl: Incorrect cipher key and IV length processing"},
	{Source: "pip", Package: "Scikit_Learn", VulnerabilityID: "CVE-2024-5206", FixedVersion: "1.5.0", Severity: "MEDIUM",
		Title: "scikit-learn sensitive data leakage vulnerability"},
}

// untar unpacks a db.tar.gz into a new folder.
func untar(t *testing.T, archive []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := tar.NewReader(zr)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		names = append(names, hdr.Name)
		if err := os.WriteFile(filepath.Join(dir, hdr.Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(names, ",") != "trivy.db,metadata.json" {
		t.Errorf("db.tar.gz holds %v, want trivy.db and metadata.json", names)
	}
	return dir
}

// The archive reads back through trivy-db's own readers, the code Trivy uses.
func TestArchiveReadsBackThroughTrivyDB(t *testing.T) {
	archive, err := Archive(Spec{Advisories: seeded})
	if err != nil {
		t.Fatal(err)
	}
	dir := untar(t, archive)
	meta, err := metadata.NewClient(dir).Get()
	if err != nil {
		t.Fatal(err)
	}
	if meta.Version != 2 || !meta.UpdatedAt.Equal(DefaultUpdatedAt) || !meta.NextUpdate.Equal(DefaultNextUpdate) {
		t.Errorf("metadata.json = %+v, want version 2 and the default dates", meta)
	}
	if err := db.Init(dir); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dbc db.Config
	advs, err := dbc.GetAdvisories("debian 12", "openssl")
	if err != nil || len(advs) != 1 {
		t.Fatalf("GetAdvisories(debian 12, openssl) = %+v, %v; want one", advs, err)
	}
	if a := advs[0]; a.VulnerabilityID != "CVE-2023-5363" || a.FixedVersion != "3.0.11-1~deb12u2" || a.Severity != dbtypes.SeverityHigh ||
		a.DataSource == nil || a.DataSource.ID != "debian" {
		t.Errorf("debian advisory = %+v", a)
	}
	advs, err = dbc.GetAdvisories("pip::", "scikit-learn") // Trivy's lookup: ecosystem prefix, normalized name
	if err != nil || len(advs) != 1 {
		t.Fatalf("GetAdvisories(pip::, scikit-learn) = %+v, %v; want one", advs, err)
	}
	if a := advs[0]; strings.Join(a.VulnerableVersions, ",") != "<1.5.0" || strings.Join(a.PatchedVersions, ",") != "1.5.0" || a.DataSource.ID != "ghsa" {
		t.Errorf("pip advisory = %+v", a)
	}
	v, err := dbc.GetVulnerability("CVE-2023-5363")
	if err != nil || v.Title != seeded[0].Title || v.VendorSeverity["debian"] != dbtypes.SeverityHigh {
		t.Errorf("GetVulnerability(CVE-2023-5363) = %+v, %v", v, err)
	}
}

func TestImageIsReproducibleAndShapedLikeTrivyDB(t *testing.T) {
	many := slices.Clone(seeded)
	for i := range 40 {
		many = append(many, Advisory{Source: fmt.Sprintf("debian %d", 11+i%2), Package: fmt.Sprintf("pkg%d", i%7),
			VulnerabilityID: fmt.Sprintf("CVE-2026-%04d", i), FixedVersion: "1.0-1", Severity: "LOW"})
	}
	a, err := Image(Spec{Advisories: many})
	if err != nil {
		t.Fatal(err)
	}
	da, _ := a.Digest()
	// bbolt lays out a file by map order within a transaction: build often
	// and in another order to catch a layout that varies.
	for range 10 {
		slices.Reverse(many)
		b, err := Image(Spec{Advisories: many})
		if err != nil {
			t.Fatal(err)
		}
		if dbg, _ := b.Digest(); da != dbg {
			t.Fatalf("Image digests %s and %s differ for the same advisories", da, dbg)
		}
	}
	other, _ := Image(Spec{Advisories: seeded[:1]})
	if d, _ := other.Digest(); d == da {
		t.Errorf("Image digest %s is the same for different advisories", d)
	}
	m, err := a.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != ArtifactType || m.Config.MediaType != ConfigMediaType || len(m.Layers) != 1 {
		t.Fatalf("manifest = %+v, want artifact type %s, config %s, one layer", m, ArtifactType, ConfigMediaType)
	}
	if l := m.Layers[0]; l.MediaType != LayerMediaType || l.Annotations[TitleAnnotation] != "db.tar.gz" {
		t.Errorf("layer = %+v, want %s titled db.tar.gz", l, LayerMediaType)
	}
}

func TestServePushesToARegistryTrivyCanPullFrom(t *testing.T) {
	s := Serve(t, Spec{Advisories: seeded, UpdatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	ref, err := name.ParseReference(s.Repository)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref, remote.WithContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("pulled %d layers, %v; want 1", len(layers), err)
	}
	rc, err := layers[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	archive, _ := io.ReadAll(rc)
	rc.Close()
	meta, err := metadata.NewClient(untar(t, archive)).Get()
	if err != nil || !meta.UpdatedAt.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("pulled metadata = %+v, %v; want UpdatedAt 2026-03-01", meta, err)
	}
}

func TestParseAdvisory(t *testing.T) {
	got, err := ParseAdvisory(" debian 12 | openssl|CVE-2023-5363|3.0.11-1~deb12u2|high|openssl: key length")
	want := Advisory{Source: "debian 12", Package: "openssl", VulnerabilityID: "CVE-2023-5363", FixedVersion: "3.0.11-1~deb12u2", Severity: "high", Title: "openssl: key length"}
	if err != nil || got != want {
		t.Errorf("ParseAdvisory() = %+v, %v; want %+v", got, err, want)
	}
	if got, err := ParseAdvisory("pip|scikit-learn|CVE-2024-5206||MEDIUM"); err != nil || got.FixedVersion != "" {
		t.Errorf("ParseAdvisory(unfixed) = %+v, %v", got, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"debian 12|openssl|CVE-1|1.0", "SOURCE|PACKAGE|ID|FIXED|SEVERITY"},
		{"alpine 3.20|openssl|CVE-1|1.0|HIGH", `unsupported source "alpine 3.20"`},
		{"debian|openssl|CVE-1|1.0|HIGH", `unsupported source "debian"`},
		{"debian 12|openssl|CVE-1|1.0|SEVERE", `severity "SEVERE"`},
		{"debian 12||CVE-1|1.0|HIGH", "give both a package and a vulnerability ID"},
	} {
		if _, err := ParseAdvisory(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseAdvisory(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestWriteDirRefusesDuplicates(t *testing.T) {
	err := WriteDir(t.TempDir(), Spec{Advisories: []Advisory{seeded[0], seeded[0]}})
	if err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("WriteDir(duplicate) = %v, want an error saying it is given twice", err)
	}
}
