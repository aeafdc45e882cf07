package mlflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Artifacts go through the tracking server's artifact proxy (mlflow server
// --serve-artifacts), addressed by a run's ArtifactURI plus a slash-separated path below it.

// FileInfo is an entry of an artifact listing. Path is relative to the artifact URI it was
// listed under, so it can be passed straight back to ReadArtifact or ListArtifacts.
type FileInfo struct {
	Path  string `json:"path"`
	IsDir bool   `json:"is_dir"`
	Size  int64  `json:"file_size"`
}

type listArtifactsRequest struct {
	Path string `json:"path,omitempty"`
}

type listArtifactsResponse struct {
	Files []FileInfo `json:"files"`
}

// proxyPath maps an artifact URI and a path below it to the path the proxy serves, relative
// to --artifacts-destination. It accepts mlflow-artifacts:/<p>, mlflow-artifacts://<host>/<p>
// and http(s)://<host>/[prefix/]api/2.0/mlflow-artifacts/artifacts/<p>.
func proxyPath(artifactURI, rel string) (string, error) {
	u, err := url.Parse(artifactURI)
	if err != nil {
		return "", errors.New("parsing artifact URI: not a valid URI") // url.Error would quote it whole
	}
	var root string
	switch u.Scheme {
	case "mlflow-artifacts":
		root = u.Path
	case "http", "https":
		anchor := "/api/2.0" + artifactPrefix
		i := strings.Index(u.Path, anchor)
		if i < 0 {
			return "", fmt.Errorf("artifact URI %q is not an MLflow artifact proxy URL", u.Redacted())
		}
		root = u.Path[i+len(anchor):]
	default:
		return "", fmt.Errorf("artifact URI %q is not served by the artifact proxy (scheme %q)", u.Redacted(), u.Scheme)
	}
	if rel != "" && (path.IsAbs(rel) || strings.Contains(rel, `\`)) {
		return "", fmt.Errorf("artifact path %q: want a relative slash-separated path", rel)
	}
	root = strings.Trim(path.Clean("/"+root), "/")
	p := path.Clean(path.Join(root, rel))
	if p == "." || p == ".." || strings.HasPrefix(p, "../") || (root != "" && p != root && !strings.HasPrefix(p, root+"/")) {
		return "", fmt.Errorf("artifact path %q is not below artifact URI %q", rel, u.Redacted())
	}
	return p, nil
}

// escapePath escapes every segment of a slash-separated path for a URL.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// UploadArtifact stores the content of r at artifactPath below artifactURI, overwriting
// any file there. r is read from its start on every attempt, so retries are safe.
func (c *Client) UploadArtifact(ctx context.Context, artifactURI, artifactPath string, r io.ReadSeeker) error {
	p, err := proxyPath(artifactURI, artifactPath)
	if err != nil {
		return fmt.Errorf("uploading artifact: %w", err)
	}
	open := func() (io.ReadCloser, int64, error) {
		size, err := r.Seek(0, io.SeekEnd)
		if err == nil {
			_, err = r.Seek(0, io.SeekStart)
		}
		return io.NopCloser(r), size, err
	}
	cl := &call{ep: epUploadArtifact, path: artifactPrefix + escapePath(p), upload: open}
	if err := c.do(ctx, cl); err != nil {
		return fmt.Errorf("uploading artifact %q: %w", artifactPath, err)
	}
	return nil
}

// UploadFile stores the local file at artifactPath below artifactURI.
func (c *Client) UploadFile(ctx context.Context, artifactURI, artifactPath, localPath string) error {
	f, err := os.Open(localPath)
	if err != nil {
		return fmt.Errorf("uploading artifact %q: %w", artifactPath, err)
	}
	defer f.Close()
	return c.UploadArtifact(ctx, artifactURI, artifactPath, f)
}

// UploadDir stores every regular file below localDir under artifactPath ("" for the root),
// keeping the directory layout (a model directory, for example).
func (c *Client) UploadDir(ctx context.Context, artifactURI, artifactPath, localDir string) error {
	return filepath.WalkDir(localDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(localDir, p)
		if err != nil {
			return err
		}
		return c.UploadFile(ctx, artifactURI, path.Join(artifactPath, filepath.ToSlash(rel)), p)
	})
}

// ListArtifacts lists the files and directories directly below dir ("" for the root).
// A directory that does not exist lists as empty.
func (c *Client) ListArtifacts(ctx context.Context, artifactURI, dir string) ([]FileInfo, error) {
	p, err := proxyPath(artifactURI, dir)
	if err != nil {
		return nil, fmt.Errorf("listing artifacts: %w", err)
	}
	var out listArtifactsResponse
	if err := c.do(ctx, &call{ep: epListArtifacts, req: listArtifactsRequest{Path: p}, out: &out}); err != nil {
		return nil, fmt.Errorf("listing artifacts in %q: %w", dir, err)
	}
	for i := range out.Files { // the proxy answers base names
		out.Files[i].Path = path.Join(dir, out.Files[i].Path)
	}
	return out.Files, nil
}

// OpenArtifact returns the content of the file at artifactPath; the caller closes it.
// Retries cover the request up to the response headers, not a body cut off mid-read.
func (c *Client) OpenArtifact(ctx context.Context, artifactURI, artifactPath string) (io.ReadCloser, error) {
	p, err := proxyPath(artifactURI, artifactPath)
	if err != nil {
		return nil, fmt.Errorf("downloading artifact: %w", err)
	}
	resp, err := c.send(ctx, &call{ep: epDownloadArtifact, path: artifactPrefix + escapePath(p)})
	if err != nil {
		return nil, fmt.Errorf("downloading artifact %q: %w", artifactPath, err)
	}
	return resp.Body, nil
}

// ReadArtifact returns the whole content of a (small) artifact file.
func (c *Client) ReadArtifact(ctx context.Context, artifactURI, artifactPath string) ([]byte, error) {
	rc, err := c.OpenArtifact(ctx, artifactURI, artifactPath)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("downloading artifact %q: %w", artifactPath, err)
	}
	return b, nil
}

// DownloadDir copies every file below the artifact directory dir into localDir.
func (c *Client) DownloadDir(ctx context.Context, artifactURI, dir, localDir string) error {
	files, err := c.ListArtifacts(ctx, artifactURI, dir)
	if err != nil {
		return err
	}
	for _, f := range files {
		rel := strings.TrimPrefix(strings.TrimPrefix(f.Path, dir), "/")
		dst := filepath.Join(localDir, filepath.FromSlash(rel))
		if f.IsDir {
			err = c.DownloadDir(ctx, artifactURI, f.Path, dst)
		} else {
			err = c.downloadFile(ctx, artifactURI, f.Path, dst)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// downloadFile writes an artifact to dst through a temporary file, so dst is whole or absent.
func (c *Client) downloadFile(ctx context.Context, artifactURI, artifactPath, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("downloading artifact %q: %w", artifactPath, err)
	}
	rc, err := c.OpenArtifact(ctx, artifactURI, artifactPath)
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".download-*")
	if err != nil {
		return fmt.Errorf("downloading artifact %q: %w", artifactPath, err)
	}
	_, err = io.Copy(tmp, rc)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("downloading artifact %q: %w", artifactPath, err)
	}
	return nil
}
