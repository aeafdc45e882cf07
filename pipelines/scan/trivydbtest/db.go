package trivydbtest

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/ecosystem"
	"github.com/aquasecurity/trivy-db/pkg/metadata"
	dbtypes "github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/bucket"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/vulnerability"
	bolt "go.etcd.io/bbolt"
)

// Defaults for Spec: a fixed UpdatedAt keeps the archive's bytes, and so its
// digest, the same from build to build; a far NextUpdate keeps Trivy from
// trying to refresh it.
var (
	DefaultUpdatedAt  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	DefaultNextUpdate = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Advisory is one advisory, keyed as its source keys it.
type Advisory struct {
	// Source is "debian N" (N the major release, e.g. "debian 12") or "pip".
	Source string
	// Package is the Debian SOURCE package (e.g. openssl, which builds
	// libssl3), or the Python project name.
	Package         string
	VulnerabilityID string
	// FixedVersion is the first fixed version; empty means not fixed yet.
	FixedVersion string
	// Severity is CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.
	Severity string
	Title    string
}

// Spec describes a database.
type Spec struct {
	Advisories []Advisory
	// UpdatedAt and NextUpdate go to metadata.json (defaults DefaultUpdatedAt,
	// DefaultNextUpdate).
	UpdatedAt, NextUpdate time.Time
}

func (s Spec) withDefaults() Spec {
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = DefaultUpdatedAt
	}
	if s.NextUpdate.IsZero() {
		s.NextUpdate = DefaultNextUpdate
	}
	s.UpdatedAt, s.NextUpdate = s.UpdatedAt.UTC().Truncate(time.Second), s.NextUpdate.UTC().Truncate(time.Second)
	return s
}

var debianSource = regexp.MustCompile(`^debian ([0-9]+)$`)

// The data sources, as trivy-db's debian and ghsa sources record them.
var (
	debianDataSource = dbtypes.DataSource{ID: vulnerability.Debian, Name: "Debian Security Tracker",
		URL: "https://salsa.debian.org/security-tracker-team/security-tracker"}
	pipDataSource = dbtypes.DataSource{ID: vulnerability.GHSA, Name: "GitHub Security Advisory pip",
		URL: "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip"}
)

// record is an advisory in the form trivy-db stores it.
type record struct {
	bucket   string
	source   dbtypes.DataSource
	pkg      string
	advisory dbtypes.Advisory
	detail   dbtypes.VulnerabilityDetail
}

func (a Advisory) record() (record, error) {
	name := fmt.Sprintf("advisory %s for %s (%s)", a.VulnerabilityID, a.Package, a.Source)
	if a.VulnerabilityID == "" || a.Package == "" {
		return record{}, fmt.Errorf("%s: give both a package and a vulnerability ID", name)
	}
	sev, err := dbtypes.NewSeverity(strings.ToUpper(cmp.Or(a.Severity, "UNKNOWN")))
	if err != nil {
		return record{}, fmt.Errorf("%s: severity %q: give CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN", name, a.Severity)
	}
	r := record{pkg: a.Package, detail: dbtypes.VulnerabilityDetail{Title: a.Title, Severity: sev}}
	switch {
	case debianSource.MatchString(a.Source):
		// As trivy-db's debian source: package-specific severity in the
		// advisory, which Trivy prefers to the vulnerability's.
		r.bucket = bucket.NewDebian(debianSource.FindStringSubmatch(a.Source)[1]).Name()
		r.source = debianDataSource
		r.advisory = dbtypes.Advisory{FixedVersion: a.FixedVersion, Severity: sev}
		if a.FixedVersion == "" {
			r.advisory.Status = dbtypes.StatusAffected
		}
	case a.Source == "pip":
		b, err := bucket.NewPyPI(pipDataSource)
		if err != nil {
			return record{}, fmt.Errorf("%s: %w", name, err)
		}
		r.bucket, r.source = b.Name(), pipDataSource
		r.pkg = vulnerability.NormalizePkgName(ecosystem.Pip, a.Package)
		r.advisory = dbtypes.Advisory{VulnerableVersions: []string{">=0"}}
		if a.FixedVersion != "" {
			r.advisory = dbtypes.Advisory{VulnerableVersions: []string{"<" + a.FixedVersion}, PatchedVersions: []string{a.FixedVersion}}
		}
	default:
		return record{}, fmt.Errorf("%s: unsupported source %q: give \"debian N\" (e.g. debian 12) or \"pip\"", name, a.Source)
	}
	return r, nil
}

// WriteDir writes trivy.db and metadata.json into dir, in the layout Trivy
// keeps under <cache-dir>/db.
func WriteDir(dir string, s Spec) error {
	s = s.withDefaults()
	records := make([]record, 0, len(s.Advisories))
	seen := map[string]bool{}
	for _, a := range s.Advisories {
		r, err := a.record()
		if err != nil {
			return err
		}
		key := r.bucket + "\x00" + r.pkg + "\x00" + a.VulnerabilityID
		if seen[key] {
			return fmt.Errorf("advisory %s for %s (%s) is given twice: keep one", a.VulnerabilityID, a.Package, a.Source)
		}
		seen[key] = true
		r.advisory.VulnerabilityID = a.VulnerabilityID
		records = append(records, r)
	}
	// One order, whatever the caller's, so the file's bytes repeat.
	slices.SortFunc(records, func(a, b record) int {
		return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.pkg, b.pkg),
			cmp.Compare(a.advisory.VulnerabilityID, b.advisory.VulnerabilityID))
	})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing the trivy DB: %w", err)
	}
	path := db.Path(dir)
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("writing the trivy DB: %w", err)
	}
	bdb, err := bolt.Open(path, 0o644, &bolt.Options{NoSync: true})
	if err != nil {
		return fmt.Errorf("writing the trivy DB: %w", err)
	}
	err = put(bdb, records)
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the trivy DB %s: %w", path, err)
	}
	meta := metadata.Metadata{Version: db.SchemaVersion, NextUpdate: s.NextUpdate, UpdatedAt: s.UpdatedAt}
	if err := metadata.NewClient(dir).Update(meta); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Join(dir, "metadata.json"), err)
	}
	return nil
}

// put stores records in the buckets a built trivy-db keeps: the advisory
// under [platform, package], the normalized vulnerability, the data source.
//
// bbolt writes the buckets a transaction touched in map order, so a
// transaction that touches two buckets lays the file out differently from
// run to run; each transaction here touches one bucket path, in sorted
// order, which keeps the bytes (and the artifact digest) the same.
func put(bdb *bolt.DB, records []record) error {
	var dbc db.Config // its Put methods write through tx only, never the global DB
	for i := 0; i < len(records); {
		j := i
		for j < len(records) && records[j].bucket == records[i].bucket && records[j].pkg == records[i].pkg {
			j++
		}
		err := bdb.Update(func(tx *bolt.Tx) error {
			for _, r := range records[i:j] {
				adv := r.advisory
				adv.VulnerabilityID = "" // the key holds it
				if err := dbc.PutAdvisory(tx, []string{r.bucket, r.pkg}, r.advisory.VulnerabilityID, &adv); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		i = j
	}
	details := map[string]map[dbtypes.SourceID]dbtypes.VulnerabilityDetail{}
	var ids []string
	for _, r := range records {
		id := r.advisory.VulnerabilityID
		if details[id] == nil {
			details[id] = map[dbtypes.SourceID]dbtypes.VulnerabilityDetail{}
			ids = append(ids, id)
		}
		details[id][r.source.ID] = r.detail
	}
	slices.Sort(ids)
	return errors.Join(
		bdb.Update(func(tx *bolt.Tx) error {
			for _, r := range records {
				if err := dbc.PutDataSource(tx, r.bucket, r.source); err != nil {
					return err
				}
			}
			return nil
		}),
		bdb.Update(func(tx *bolt.Tx) error {
			for _, id := range ids {
				// Normalize is trivy-db's own step from vendor details to the
				// record Trivy reads (title, severity per vendor).
				if err := dbc.PutVulnerability(tx, id, vulnerability.Vulnerability{}.Normalize(id, details[id])); err != nil {
					return err
				}
			}
			return nil
		}))
}

// ParseAdvisory reads an advisory written SOURCE|PACKAGE|ID|FIXED|SEVERITY[|TITLE],
// e.g. "debian 12|openssl|CVE-2023-5363|3.0.11-1~deb12u2|HIGH" (FIXED may be
// empty: not fixed yet).
func ParseAdvisory(s string) (Advisory, error) {
	f := strings.Split(s, "|")
	if len(f) < 5 || len(f) > 6 {
		return Advisory{}, fmt.Errorf("advisory %q: write SOURCE|PACKAGE|ID|FIXED|SEVERITY[|TITLE], e.g. 'debian 12|openssl|CVE-2023-5363|3.0.11-1~deb12u2|HIGH'", s)
	}
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	a := Advisory{Source: f[0], Package: f[1], VulnerabilityID: f[2], FixedVersion: f[3], Severity: f[4]}
	if len(f) == 6 {
		a.Title = f[5]
	}
	if _, err := a.record(); err != nil {
		return Advisory{}, err
	}
	return a, nil
}
