package source

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferryml/ferry/pipelines/data/sigv4"
)

// s3URL turns s3://bucket/key into the HTTP URL of the object.
func s3URL(o *options, uri string) (*url.URL, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return nil, &Error{URI: Redact(uri), Op: "parsing", Err: ErrUnsupported, Fix: "write S3 URIs as s3://bucket/key"}
	}
	bucket, key := u.Host, strings.TrimPrefix(u.Path, "/")
	if o.s3.Endpoint == "" {
		return &url.URL{Scheme: "https", Host: bucket + ".s3." + o.s3.Region + ".amazonaws.com", Path: "/" + key}, nil
	}
	base, err := url.Parse(strings.TrimSuffix(o.s3.Endpoint, "/"))
	if err != nil || base.Host == "" {
		return nil, &Error{URI: Redact(uri), Op: "parsing", Err: ErrUnsupported,
			Fix: "set the S3 endpoint as a URL such as http://127.0.0.1:7070"}
	}
	base.Path += "/" + bucket + "/" + key
	return base, nil
}

func s3Request(ctx context.Context, o *options, method, uri string) (*http.Request, func(*http.Request), error) {
	u, err := s3URL(o, uri)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, nil, &Error{URI: Redact(uri), Op: method, Err: err}
	}
	sign := func(r *http.Request) {
		if !o.s3.Credentials.Empty() {
			sigv4.Sign(r, o.s3.Credentials, o.s3.Region, "s3", sigv4.EmptyPayload, o.now())
		}
	}
	return req, sign, nil
}

func headS3(ctx context.Context, o *options, uri string) (Info, error) {
	req, sign, err := s3Request(ctx, o, http.MethodHead, uri)
	if err != nil {
		return Info{}, err
	}
	info, err := doHead(o, req, uri, sign)
	return info, scrub(o, err)
}

func openS3(ctx context.Context, o *options, uri string) (*Object, error) {
	head, err := headS3(ctx, o, uri)
	if err != nil {
		return nil, err
	}
	req, sign, err := s3Request(ctx, o, http.MethodGet, uri)
	if err != nil {
		return nil, err
	}
	obj, err := doGet(o, req, uri, head, false, sign)
	return obj, scrub(o, err)
}

// scrub removes the credentials from an error's message, in case a store echoes them.
func scrub(o *options, err error) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	for _, secret := range []string{o.s3.Credentials.SecretAccessKey, o.s3.Credentials.SessionToken, o.s3.Credentials.AccessKeyID} {
		if secret != "" {
			e.Message = strings.ReplaceAll(e.Message, secret, "[redacted]")
		}
	}
	return e
}

// parseS3Error reads the Code and Message of an S3 error body; "" when there is none.
func parseS3Error(body []byte) (string, string) {
	var e struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	if len(body) == 0 || xml.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Code, e.Message
}
