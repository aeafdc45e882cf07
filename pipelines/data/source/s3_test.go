package source_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/data/s3test"
	"github.com/ferryml/ferry/pipelines/data/sigv4"
	"github.com/ferryml/ferry/pipelines/data/source"
)

// TestS3 runs against a real S3-compatible server (versitygw).
func TestS3(t *testing.T) {
	s := s3test.Start(t)
	s.CreateBucket(t, "ferry-data")
	body := []byte("carat,cut\n0.23,Ideal\n")
	s.Put(t, "ferry-data", "batches/batch 001.csv", body)
	ctx := context.Background()

	info, err := source.Stat(ctx, "s3://ferry-data/batches/batch 001.csv", source.WithS3(s.S3()))
	if err != nil {
		t.Fatalf("Stat() error %v", err)
	}
	if info.Size != int64(len(body)) || info.ETag == "" || info.LastModified == "" {
		t.Errorf("Stat() = %+v, want size %d, an ETag and Last-Modified", info, len(body))
	}
	obj, err := source.Open(ctx, "s3://ferry-data/batches/batch 001.csv", source.WithS3(s.S3()))
	if err != nil {
		t.Fatalf("Open() error %v", err)
	}
	got, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(got) != string(body) || obj.ETag != info.ETag {
		t.Errorf("Open() = %q (ETag %s), want %q (ETag %s)", got, obj.ETag, body, info.ETag)
	}

	wrong := s.S3()
	wrong.Credentials = sigv4.Credentials{AccessKeyID: s.Credentials.AccessKeyID, SecretAccessKey: "WRONG" + s.Credentials.SecretAccessKey}
	tests := []struct {
		name string
		uri  string
		cfg  source.S3
		max  int64
		want error
	}{
		{"missing key", "s3://ferry-data/nope.csv", s.S3(), 0, source.ErrNotFound},
		{"missing bucket", "s3://no-bucket/a.csv", s.S3(), 0, source.ErrNotFound},
		{"wrong secret", "s3://ferry-data/batches/batch 001.csv", wrong, 0, source.ErrForbidden},
		{"too large", "s3://ferry-data/batches/batch 001.csv", s.S3(), 5, source.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []source.Option{source.WithS3(tt.cfg)}
			if tt.max > 0 {
				opts = append(opts, source.WithMaxBytes(tt.max))
			}
			_, err := source.Open(ctx, tt.uri, opts...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open(%s) error = %v, want %v", tt.uri, err, tt.want)
			}
			for _, secret := range []string{s.Credentials.SecretAccessKey, s.Credentials.AccessKeyID} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Open(%s) error %q holds a credential", tt.uri, err)
				}
			}
		})
	}
}
