package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// call is one logical API request, which send may attempt several times.
type call struct {
	ep   endpoint
	path string // escaped path below /api/2.0 when it differs from ep.path (artifact routes)
	req  any    // request message: a JSON body, or the query string for GET
	out  any    // response message, nil to discard the body

	once bool // a single attempt: for the searches inside recover, which has its own retries

	// upload opens the raw body (and tells its size, -1 if unknown) for every attempt.
	upload func() (io.ReadCloser, int64, error)

	// recover runs before any retry that follows a failure which may have reached the
	// server; done means it found what the lost attempt created (and filled out).
	recover func(ctx context.Context) (done bool, err error)
}

// do sends cl and decodes the response into cl.out.
func (c *Client) do(ctx context.Context, cl *call) error {
	resp, err := c.send(ctx, cl)
	if err != nil || resp == nil {
		return err
	}
	defer resp.Body.Close()
	if cl.out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(cl.out); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("decoding %s %s response: %w", cl.ep.method, cl.ep.path, err)
	}
	return nil
}

// send runs cl with bounded retries and returns the successful response, which the caller
// closes; it returns (nil, nil) when cl.recover found the result of a lost attempt.
func (c *Client) send(ctx context.Context, cl *call) (*http.Response, error) {
	var body []byte
	if cl.req != nil && cl.ep.method != http.MethodGet {
		var err error
		if body, err = json.Marshal(cl.req); err != nil {
			return nil, fmt.Errorf("encoding %s request: %w", cl.ep.path, err)
		}
	}
	var lastErr error
	reached := false // an attempt may have been carried out: search before creating again
	for attempt := 1; ; attempt++ {
		var err error
		if reached && cl.recover != nil {
			var done bool
			if done, err = cl.recover(ctx); err == nil && done {
				c.opts.logger.Info("mlflow: recovered the result of a lost attempt", "path", cl.ep.path)
				return nil, nil
			}
		}
		if err == nil { // a failed search skips this round: creating blind could duplicate
			var resp *http.Response
			if resp, err = c.attempt(ctx, cl, body, attempt); err == nil {
				return resp, nil
			}
			reached = reached || mayHaveReachedServer(err)
		}
		lastErr = err
		retry, hint := retryable(err)
		if !retry || cl.once || attempt > c.opts.maxRetries || ctx.Err() != nil {
			if attempt > 1 {
				return nil, fmt.Errorf("after %d attempts: %w", attempt, err)
			}
			return nil, err
		}
		wait := c.backoff(attempt, hint)
		c.opts.logger.Warn("mlflow: retrying", "method", cl.ep.method, "path", cl.ep.path,
			"attempt", attempt, "wait", wait, "error", err.Error())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("after %d attempts: %w; last error: %w", attempt, ctx.Err(), lastErr)
		case <-t.C:
		}
	}
}

// attempt makes one HTTP request; any answer but 2xx becomes an *Error.
func (c *Client) attempt(ctx context.Context, cl *call, body []byte, n int) (*http.Response, error) {
	path := cl.path
	if path == "" {
		path = cl.ep.path
	}
	target := c.base + "/api/2.0" + path
	if cl.req != nil && cl.ep.method == http.MethodGet {
		if q := encodeQuery(cl.req); q != "" {
			target += "?" + q
		}
	}
	var rd io.ReadCloser = http.NoBody
	size := int64(0)
	if cl.upload != nil {
		var err error
		if rd, size, err = cl.upload(); err != nil {
			return nil, err
		}
	} else if body != nil {
		rd, size = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	req, err := http.NewRequestWithContext(ctx, cl.ep.method, target, rd)
	if err != nil {
		rd.Close()
		return nil, err
	}
	req.ContentLength = size
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.userAgent)
	if c.opts.auth.header != nil {
		req.Header.Set("Authorization", c.opts.auth.header())
	}
	start := time.Now()
	resp, err := c.opts.httpClient.Do(req)
	if err != nil {
		c.opts.logger.Debug("mlflow request", "method", cl.ep.method, "path", path, "attempt", n, "error", err.Error())
		return nil, &transportError{err: err, msg: c.opts.auth.redactString(err.Error())}
	}
	c.opts.logger.Debug("mlflow request", "method", cl.ep.method, "path", path, "attempt", n,
		"status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := decodeError(cl.ep.method, req.URL.EscapedPath(), resp.StatusCode, raw, c.opts.auth.redactString)
	e.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
	return nil, e
}

// transportError is a request that got no HTTP answer; msg is the redacted text.
type transportError struct {
	err error
	msg string
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// encodeQuery renders a request message as a query string: MLflow's GET handlers read
// each proto field from a query parameter of the same name, repeated fields repeated.
func encodeQuery(msg any) string {
	b, err := json.Marshal(msg)
	if err != nil {
		return ""
	}
	var fields map[string]any
	if json.Unmarshal(b, &fields) != nil {
		return ""
	}
	q := url.Values{}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := fields[k].(type) {
		case []any:
			for _, e := range v {
				q.Add(k, fmt.Sprint(e))
			}
		case float64:
			q.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
		default:
			q.Set(k, fmt.Sprint(v))
		}
	}
	return q.Encode()
}
