package source

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// headHTTP asks for the object's size, ETag and Last-Modified without its body.
func headHTTP(ctx context.Context, o *options, uri string) (Info, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, uri, nil)
	if err != nil {
		return Info{}, &Error{URI: Redact(uri), Op: "HEAD", Err: err, Fix: "check the URL"}
	}
	return doHead(o, req, uri, nil)
}

// doHead sends a HEAD request (signed by sign, when given) and reads the object's metadata.
func doHead(o *options, req *http.Request, uri string, sign func(*http.Request)) (Info, error) {
	if sign != nil {
		sign(req)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return Info{}, &Error{URI: Redact(uri), Op: "HEAD", Err: err, Fix: "check the host is reachable"}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	o.logger.Debug("HEAD", "uri", Redact(uri), "status", resp.StatusCode)
	if resp.StatusCode/100 != 2 {
		return Info{}, statusError(uri, "HEAD", resp, nil)
	}
	return infoOf(uri, resp), nil
}

func openHTTP(ctx context.Context, o *options, uri string) (*Object, error) {
	head, err := headHTTP(ctx, o, uri)
	// Some servers refuse HEAD; then the GET's headers tell the same.
	headRefused := false
	if e, ok := err.(*Error); ok && (e.Status == http.StatusMethodNotAllowed || e.Status == http.StatusNotImplemented) {
		headRefused, err = true, nil
	}
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, &Error{URI: Redact(uri), Op: "GET", Err: err}
	}
	return doGet(o, req, uri, head, headRefused, nil)
}

// doGet sends a GET request and checks it against what HEAD found.
func doGet(o *options, req *http.Request, uri string, head Info, headRefused bool, sign func(*http.Request)) (*Object, error) {
	if !headRefused && head.Size > o.maxBytes {
		return nil, tooLarge(Redact(uri), head.Size, o.maxBytes)
	}
	if sign != nil {
		sign(req)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return nil, &Error{URI: Redact(uri), Op: "GET", Err: err, Fix: "check the host is reachable"}
	}
	o.logger.Debug("GET", "uri", Redact(uri), "status", resp.StatusCode)
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return nil, statusError(uri, "GET", resp, body)
	}
	info := infoOf(uri, resp)
	if info.Size > o.maxBytes {
		resp.Body.Close()
		return nil, tooLarge(Redact(uri), info.Size, o.maxBytes)
	}
	if !headRefused && head.ETag != "" && info.ETag != "" && head.ETag != info.ETag {
		resp.Body.Close()
		return nil, &Error{URI: Redact(uri), Op: "GET", Err: ErrChanged,
			Message: fmt.Sprintf("ETag %s at HEAD, %s at GET", head.ETag, info.ETag), Fix: "retry once the upload has finished"}
	}
	body := &limitBody{ReadCloser: resp.Body, uri: Redact(uri), left: o.maxBytes, limit: o.maxBytes}
	return &Object{Info: info, Body: body}, nil
}

func infoOf(uri string, resp *http.Response) Info {
	size := resp.ContentLength
	if v := resp.Header.Get("Content-Length"); v != "" && size < 0 {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			size = n
		}
	}
	return Info{URI: Redact(uri), Size: size, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
}

func statusError(uri, op string, resp *http.Response, body []byte) error {
	e := &Error{URI: Redact(uri), Op: op, Status: resp.StatusCode, Err: ErrRemote}
	switch resp.StatusCode {
	case http.StatusNotFound:
		e.Err, e.Fix = ErrNotFound, "check the URL (or bucket and key)"
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Err, e.Fix = ErrForbidden, "check the credentials and that they may read this object"
	}
	e.Code, e.Message = parseS3Error(body)
	return e
}
