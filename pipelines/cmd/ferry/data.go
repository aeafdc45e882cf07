package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/pipelines/data"
	"github.com/ferryml/ferry/pipelines/data/sigv4"
	"github.com/ferryml/ferry/pipelines/data/source"
)

// dataCheck runs data.Check and writes report.json, report.md and
// summary.txt to --out. S3 credentials come from the environment
// (FERRY_S3_ACCESS_KEY_ID, FERRY_S3_SECRET_ACCESS_KEY, FERRY_S3_SESSION_TOKEN),
// never from flags, so they stay out of process listings and logs.
func dataCheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry data check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg data.Config
	fs.StringVar(&cfg.Schema, "schema", "", "schema file (schema.yaml)")
	fs.StringVar(&cfg.Quality, "quality", "", "data-quality spec (quality.yaml)")
	fs.StringVar(&cfg.Reference, "reference", "", "reference set: path, http(s):// or s3:// URI")
	fs.StringVar(&cfg.Batch, "batch", "", "new batch: path, http(s):// or s3:// URI")
	out := fs.String("out", "", "folder for report.json, report.md and summary.txt")
	delim := fs.String("delimiter", "", "CSV delimiter (default ',', tab for .tsv)")
	maxBytes := fs.Int64("max-bytes", 0, "largest input accepted, in bytes (default 1 GiB)")
	endpoint := fs.String("s3-endpoint", "", "S3-compatible endpoint for s3:// URIs (default AWS)")
	region := fs.String("s3-region", "", "S3 signing region (default us-east-1)")
	fail := fs.Bool("fail", false, "exit 1 when a rule is broken (default: the verdict is only in the report)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: ferry data check: %v", errUsage, err)
	}
	for name, v := range map[string]string{"schema": cfg.Schema, "quality": cfg.Quality, "reference": cfg.Reference, "batch": cfg.Batch, "out": *out} {
		if v == "" {
			return fmt.Errorf("%w: ferry data check: --%s is required", errUsage, name)
		}
	}
	opts := []data.Option{}
	if *delim != "" {
		r := []rune(*delim)
		if len(r) != 1 {
			return fmt.Errorf("%w: --delimiter %q: give one character", errUsage, *delim)
		}
		opts = append(opts, data.WithDelimiter(r[0]))
	}
	if *maxBytes > 0 {
		opts = append(opts, data.WithMaxBytes(*maxBytes))
	}
	opts = append(opts, data.WithS3(source.S3{
		Endpoint: *endpoint,
		Region:   *region,
		Credentials: sigv4.Credentials{
			AccessKeyID:     os.Getenv("FERRY_S3_ACCESS_KEY_ID"),
			SecretAccessKey: os.Getenv("FERRY_S3_SECRET_ACCESS_KEY"),
			SessionToken:    os.Getenv("FERRY_S3_SESSION_TOKEN"),
		},
	}))
	rep, err := data.Check(ctx, cfg, opts...)
	if err != nil {
		return err
	}
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	files := map[string][]byte{
		"report.json": js,
		"report.md":   []byte(rep.Markdown()),
		"summary.txt": []byte(rep.Summary() + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	}
	fmt.Fprintln(stdout, rep.Summary())
	if *fail {
		if err := rep.Err(); err != nil {
			return checkFailed{err}
		}
	}
	return nil
}
