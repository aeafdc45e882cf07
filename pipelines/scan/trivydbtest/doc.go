// Package trivydbtest builds small Trivy vulnerability databases from
// advisories given in Go, for tests and offline use: it writes trivy.db and
// metadata.json with the trivy-db packages Trivy v0.74.0 reads them with,
// packs db.tar.gz, and wraps it as the OCI artifact `trivy
// --db-repository` downloads (as published at ghcr.io/aquasecurity/trivy-db:2).
// It also finds the pinned trivy binary and serves a DB from an in-process
// registry, so tests can run the real Trivy with no network.
package trivydbtest
