// Package source opens data files by URI — local paths, HTTP(S) URLs and s3:// objects — and records what it found (size, ETag, Last-Modified).
package source
