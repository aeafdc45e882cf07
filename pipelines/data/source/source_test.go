package source_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/data/source"
)

func TestLocal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(path, []byte("x\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, uri := range []string{path, "file://" + path} {
		obj, err := source.Open(ctx, uri)
		if err != nil {
			t.Fatalf("Open(%s) error %v", uri, err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if string(b) != "x\n1\n" || obj.Size != 4 {
			t.Errorf("Open(%s) = %q size %d, want the file's 4 bytes", uri, b, obj.Size)
		}
	}
	tests := []struct {
		name string
		uri  string
		opts []source.Option
		want error
	}{
		{"missing", filepath.Join(dir, "nope.csv"), nil, source.ErrNotFound},
		{"directory", dir, nil, source.ErrNotFile},
		{"too large", path, []source.Option{source.WithMaxBytes(3)}, source.ErrTooLarge},
		{"scheme", "ftp://host/a.csv", nil, source.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := source.Open(ctx, tt.uri, tt.opts...)
			if !errors.Is(err, tt.want) {
				t.Errorf("Open(%s) error = %v, want %v", tt.uri, err, tt.want)
			}
		})
	}
}

func TestSparse2GBFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(2 << 30); err != nil { // sparse: no 2 GB written
		t.Fatal(err)
	}
	f.Close()
	_, err = source.Open(context.Background(), path)
	if !source.IsTooLarge(err) || !strings.Contains(err.Error(), "2147483648 bytes") {
		t.Errorf("Open(2 GiB file) error = %v, want a too-large error naming the size", err)
	}
}

func TestHTTP(t *testing.T) {
	var heads, gets int
	mux := http.NewServeMux()
	mux.HandleFunc("/data.csv", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			heads++
		} else {
			gets++
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		http.ServeContent(w, r, "data.csv", time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC), strings.NewReader("x\n1\n"))
	})
	mux.HandleFunc("/changing.csv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", fmt.Sprintf(`"%s"`, r.Method))
		fmt.Fprint(w, "x\n1\n")
	})
	mux.HandleFunc("/nohead.csv", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		fmt.Fprint(w, "x\n1\n")
	})
	mux.HandleFunc("/forbidden.csv", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	obj, err := source.Open(ctx, srv.URL+"/data.csv")
	if err != nil {
		t.Fatalf("Open(data.csv) error %v", err)
	}
	b, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(b) != "x\n1\n" || obj.Size != 4 || obj.ETag != `"v1"` || obj.LastModified == "" {
		t.Errorf("Open(data.csv) = %q %+v, want the body with size, ETag and Last-Modified", b, obj.Info)
	}
	if heads != 1 || gets != 1 {
		t.Errorf("Open(data.csv) sent %d HEAD and %d GET, want 1 and 1", heads, gets)
	}
	if obj, err := source.Open(ctx, srv.URL+"/nohead.csv"); err != nil {
		t.Errorf("Open(nohead.csv) error %v, want a GET after the refused HEAD", err)
	} else {
		obj.Body.Close()
	}

	tests := []struct {
		path string
		opts []source.Option
		want error
	}{
		{"/missing.csv", nil, source.ErrNotFound},
		{"/forbidden.csv", nil, source.ErrForbidden},
		{"/changing.csv", nil, source.ErrChanged},
		{"/data.csv", []source.Option{source.WithMaxBytes(3)}, source.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			_, err := source.Open(ctx, srv.URL+tt.path, tt.opts...)
			if !errors.Is(err, tt.want) {
				t.Errorf("Open(%s) error = %v, want %v", tt.path, err, tt.want)
			}
		})
	}
}

func TestHTTPStreamLimit(t *testing.T) {
	// No Content-Length: the limit must stop the stream itself.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		if r.Method == http.MethodGet {
			fmt.Fprint(w, strings.Repeat("x", 100))
		}
	}))
	defer srv.Close()
	obj, err := source.Open(context.Background(), srv.URL, source.WithMaxBytes(10))
	if err != nil {
		t.Fatalf("Open() error %v", err)
	}
	defer obj.Body.Close()
	if _, err := io.ReadAll(obj.Body); !source.IsTooLarge(err) {
		t.Errorf("reading 100 bytes with a 10-byte limit: error = %v, want too large", err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:pw@host/a.csv", "https://redacted@host/a.csv"},
		{"https://host/a.csv?X-Amz-Signature=abc&X-Amz-Credential=AK&v=1", "https://host/a.csv?X-Amz-Credential=redacted&X-Amz-Signature=redacted&v=1"},
		{"models/data/batch.csv", "models/data/batch.csv"},
	}
	for _, tt := range tests {
		if got := source.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
