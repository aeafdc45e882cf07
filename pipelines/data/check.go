package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/ferryml/ferry/pipelines/data/quality"
	"github.com/ferryml/ferry/pipelines/data/report"
	"github.com/ferryml/ferry/pipelines/data/schema"
	"github.com/ferryml/ferry/pipelines/data/source"
	"github.com/ferryml/ferry/pipelines/data/table"
)

// Config names the inputs of a check.
type Config struct {
	// Schema is the path of the schema file (schema.yaml).
	Schema string
	// Quality is the path of the data-quality spec (quality.yaml).
	Quality string
	// Reference is the URI of the reference (training) set: a path, http(s):// or s3://.
	Reference string
	// Batch is the URI of the new batch.
	Batch string
}

type options struct {
	source    []source.Option
	maxBytes  int64
	delimiter rune
	logger    *slog.Logger
}

// Option configures Check.
type Option func(*options)

// WithS3 sets the endpoint, region and credentials for s3:// URIs. Default: AWS, unsigned.
func WithS3(s source.S3) Option {
	return func(o *options) { o.source = append(o.source, source.WithS3(s)) }
}

// WithHTTPClient sets the client for http(s):// and s3:// URIs. Default http.DefaultClient.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) { o.source = append(o.source, source.WithHTTPClient(c)) }
}

// WithMaxBytes sets the largest input file accepted. Default 1 GiB.
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// WithDelimiter sets the CSV delimiter. Default ',' (tab for .tsv files).
func WithDelimiter(r rune) Option { return func(o *options) { o.delimiter = r } }

// WithLogger sets a logger for progress at debug level. Default: silent.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

func newOptions(opts []Option) *options {
	o := &options{maxBytes: table.DefaultMaxBytes, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(o)
	}
	o.source = append(o.source, source.WithMaxBytes(o.maxBytes), source.WithLogger(o.logger))
	return o
}

// Check reads the reference and the batch and checks them: both against the schema,
// the batch against the quality spec and for drift from the reference. A broken rule
// is a violation in the report (see Report.Passed and Report.Err); an input that
// cannot be read or a bad spec is an error.
func Check(ctx context.Context, cfg Config, opts ...Option) (*report.Report, error) {
	o := newOptions(opts)
	sch, err := schema.Load(cfg.Schema)
	if err != nil {
		return nil, err
	}
	spec, err := quality.Load(cfg.Quality)
	if err != nil {
		return nil, err
	}
	if err := spec.CheckAgainst(sch); err != nil {
		return nil, fmt.Errorf("checking quality spec: %w", err)
	}
	// Read both inputs at once: on two cores that hides the reference behind the batch.
	var ref *table.Table
	var refIn report.Input
	var refErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		ref, refIn, refErr = read(ctx, cfg.Reference, sch, o)
	}()
	batch, batchIn, err := read(ctx, cfg.Batch, sch, o)
	<-done
	if refErr != nil {
		return nil, fmt.Errorf("reading reference: %w", refErr)
	}
	if err != nil {
		return nil, fmt.Errorf("reading batch: %w", err)
	}

	start := time.Now()
	rep := &report.Report{Batch: batchIn, Reference: refIn, Schema: cfg.Schema, Quality: cfg.Quality}
	add := func(v []report.Violation, n int) {
		rep.Violations = append(rep.Violations, v...)
		rep.RulesChecked += n
	}
	add(sch.Validate(ref, "reference"))
	add(sch.Validate(batch, "batch"))
	add(spec.Check(batch, sch))
	stats, v, n := spec.CheckDrift(ref, batch, sch)
	rep.Drift = stats
	add(v, n)
	o.logger.Debug("checked", "rules", rep.RulesChecked, "violations", len(rep.Violations), "took", time.Since(start))
	return rep, nil
}

// read opens and reads one input, hashing it on the way.
func read(ctx context.Context, uri string, sch *schema.Schema, o *options) (*table.Table, report.Input, error) {
	start := time.Now()
	obj, err := source.Open(ctx, uri, o.source...)
	if err != nil {
		return nil, report.Input{}, err
	}
	defer obj.Body.Close()
	in := report.Input{URI: obj.URI, Format: formatOf(uri), ETag: obj.ETag, LastModified: obj.LastModified}
	topts := []table.Option{table.WithName(obj.URI), table.WithFields(sch.Fields()...),
		table.WithMaxBytes(o.maxBytes), table.WithSizeHint(obj.Size)}
	if d := o.delimiter; d != 0 {
		topts = append(topts, table.WithDelimiter(d))
	} else if strings.HasSuffix(strings.ToLower(uri), ".tsv") {
		topts = append(topts, table.WithDelimiter('\t'))
	}
	h := &countingHash{Hash: sha256.New()}
	var t *table.Table
	if in.Format == "parquet" {
		t, err = readParquet(obj, h, o, topts)
	} else {
		t, err = table.ReadCSV(io.TeeReader(obj.Body, h), topts...)
	}
	if err != nil {
		return nil, report.Input{}, err
	}
	in.Rows, in.Columns, in.Size, in.SHA256 = t.Rows, len(t.Header), h.n, hex.EncodeToString(h.Sum(nil))
	o.logger.Debug("read", "uri", in.URI, "rows", t.Rows, "bytes", h.n, "took", time.Since(start))
	return t, in, nil
}

// readParquet reads a Parquet object, which needs random access: a local file is read
// in place, a remote one is first copied to a temporary file.
func readParquet(obj *source.Object, h *countingHash, o *options, topts []table.Option) (*table.Table, error) {
	f, ok := obj.Body.(*os.File)
	if !ok {
		tmp, err := os.CreateTemp("", "ferry-data-*.parquet")
		if err != nil {
			return nil, fmt.Errorf("spooling parquet: %w", err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		f = tmp
		if _, err := io.Copy(io.MultiWriter(tmp, h), obj.Body); err != nil {
			return nil, fmt.Errorf("spooling parquet: %w", err)
		}
	} else if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("hashing parquet: %w", err)
	}
	return table.ReadParquet(f, h.n, topts...)
}

func formatOf(uri string) string {
	p := uri
	if u, err := url.Parse(uri); err == nil && u.Scheme != "" {
		p = u.Path
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".parquet", ".pq":
		return "parquet"
	}
	return "csv"
}

type countingHash struct {
	hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.Hash.Write(p)
}
