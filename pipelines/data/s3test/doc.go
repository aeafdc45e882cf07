// Package s3test runs a real S3-compatible server, versitygw with its posix backend, for tests that need object storage.
package s3test
