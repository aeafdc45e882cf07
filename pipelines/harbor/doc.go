// Package harbor is ferry's adapter over Harbor's v2.0 API (goharbor/go-client):
// it ensures a project exists, sets the project's tag-retention policy, and
// triggers and reads vulnerability scans of an artifact. Failures are typed
// (IsNotFound, IsUnauthorized, IsForbidden, IsConflict) and say how to fix
// them; credentials never reach an error, a log line or a String().
package harbor
