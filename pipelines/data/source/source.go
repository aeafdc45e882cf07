package source

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/ferryml/ferry/pipelines/data/sigv4"
)

// Info describes an object found at a URI.
type Info struct {
	// URI is the location, with any credentials in it redacted.
	URI string `json:"uri"`
	// Size is the length in bytes; -1 when the server did not say.
	Size         int64  `json:"size"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Object is an open object: what was found and its content.
type Object struct {
	Info
	// Body streams the content; it fails with an error wrapping ErrTooLarge past the
	// size limit. The caller closes it. For a local file it is the *os.File.
	Body io.ReadCloser
}

// S3 says how to reach an S3 store. Credentials are values: the caller reads them from
// its secret store; this package never logs or returns them.
type S3 struct {
	// Endpoint is the store's base URL, addressed path-style ("http://127.0.0.1:7070").
	// Default: AWS, virtual-hosted style (https://<bucket>.s3.<region>.amazonaws.com).
	Endpoint string
	// Region is the signing region. Default "us-east-1".
	Region string
	// Credentials sign the requests; empty credentials send them unsigned.
	Credentials sigv4.Credentials
}

type options struct {
	client   *http.Client
	s3       S3
	maxBytes int64
	logger   *slog.Logger
	now      func() time.Time
}

// Option configures Stat and Open.
type Option func(*options)

// WithHTTPClient sets the client for http(s):// and s3:// URIs. Default
// http.DefaultClient; give one with a timeout, or a ctx with a deadline.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithS3 sets the S3 endpoint, region and credentials. Default: AWS, us-east-1, unsigned.
func WithS3(s S3) Option { return func(o *options) { o.s3 = s } }

// WithMaxBytes sets the largest object Open accepts. Default 1 GiB.
func WithMaxBytes(n int64) Option { return func(o *options) { o.maxBytes = n } }

// WithLogger sets a logger for requests made. Default: none.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

func newOptions(opts []Option) *options {
	o := &options{client: http.DefaultClient, maxBytes: 1 << 30, now: time.Now,
		logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(o)
	}
	if o.s3.Region == "" {
		o.s3.Region = "us-east-1"
	}
	return o
}

// Stat checks that the object at uri is there and returns what is known of it:
// os.Stat for a local path, HEAD for http(s):// and s3://.
func Stat(ctx context.Context, uri string, opts ...Option) (Info, error) {
	o := newOptions(opts)
	switch scheme(uri) {
	case "http", "https":
		return headHTTP(ctx, o, uri)
	case "s3":
		return headS3(ctx, o, uri)
	case "file", "":
		return statFile(uri)
	}
	return Info{}, unsupported(uri)
}

// Open checks the object like Stat, refuses it when it is over the size limit, and
// opens it for reading (GET for remote objects).
func Open(ctx context.Context, uri string, opts ...Option) (*Object, error) {
	o := newOptions(opts)
	switch scheme(uri) {
	case "http", "https":
		return openHTTP(ctx, o, uri)
	case "s3":
		return openS3(ctx, o, uri)
	case "file", "":
		return openFile(o, uri)
	}
	return nil, unsupported(uri)
}

func scheme(uri string) string {
	i := strings.Index(uri, "://")
	if i <= 0 {
		return ""
	}
	return strings.ToLower(uri[:i])
}

func unsupported(uri string) error {
	return &Error{URI: Redact(uri), Op: "opening", Err: ErrUnsupported,
		Fix: "use a local path, http(s)://host/path or s3://bucket/key"}
}

func localPath(uri string) string {
	if scheme(uri) == "file" {
		if u, err := url.Parse(uri); err == nil {
			return u.Path
		}
	}
	return uri
}

func statFile(uri string) (Info, error) {
	path := localPath(uri)
	fi, err := os.Stat(path)
	if err != nil {
		return Info{}, fileError(uri, err)
	}
	if fi.IsDir() {
		return Info{}, &Error{URI: uri, Op: "opening", Err: ErrNotFile, Fix: "give the path of a file, not a directory"}
	}
	return Info{URI: uri, Size: fi.Size()}, nil
}

func openFile(o *options, uri string) (*Object, error) {
	info, err := statFile(uri)
	if err != nil {
		return nil, err
	}
	if info.Size > o.maxBytes {
		return nil, tooLarge(uri, info.Size, o.maxBytes)
	}
	f, err := os.Open(localPath(uri))
	if err != nil {
		return nil, fileError(uri, err)
	}
	return &Object{Info: info, Body: f}, nil
}

func fileError(uri string, err error) error {
	e := &Error{URI: uri, Op: "opening", Err: err}
	if os.IsNotExist(err) {
		e.Err, e.Fix = ErrNotFound, "check the path (relative paths start at the working directory)"
	} else if os.IsPermission(err) {
		e.Err, e.Fix = ErrForbidden, "make the file readable"
	}
	return e
}

func tooLarge(uri string, size, limit int64) error {
	return &Error{URI: uri, Op: "opening", Err: ErrTooLarge,
		Message: fmt.Sprintf("%d bytes, over the %d-byte limit", size, limit),
		Fix:     "split the data into smaller batches or raise the size limit"}
}

// limitBody fails with ErrTooLarge once more than left bytes were read.
type limitBody struct {
	io.ReadCloser
	uri   string
	left  int64
	limit int64
}

func (l *limitBody) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.ReadCloser.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, tooLarge(l.uri, l.limit-l.left, l.limit)
	}
	return n, err
}
