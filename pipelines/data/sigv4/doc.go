// Package sigv4 signs HTTP requests with AWS Signature Version 4, for S3 and S3-compatible stores.
package sigv4
