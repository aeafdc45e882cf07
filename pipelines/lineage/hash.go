package lineage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FileHash is the SHA-256 (lowercase hex) of one file's bytes, by name.
type FileHash struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// HashFile returns the SHA-256 (lowercase hex) of a file's bytes, as sha256sum prints it;
// use it for Record.RequirementsHash (the lock file).
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	sum, err := hashReader(f)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return sum, nil
}

// HashFiles hashes each file and names it by its base name, so the result does not depend
// on where the files are; two files with one base name are an error (use HashDir). The
// result is sorted by name.
func HashFiles(paths ...string) ([]FileHash, error) {
	out := make([]FileHash, 0, len(paths))
	seen := map[string]string{}
	for _, p := range paths {
		name := filepath.Base(p)
		if prev, ok := seen[name]; ok {
			return nil, fmt.Errorf("hashing data files: %s and %s share the name %q; hash their folder with HashDir", prev, p, name)
		}
		seen[name] = p
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return nil, fmt.Errorf("hashing data files: %s is a directory; use HashDir(os.DirFS(%q))", p, p)
		}
		sum, err := HashFile(p)
		if err != nil {
			return nil, fmt.Errorf("hashing data files: %w", err)
		}
		out = append(out, FileHash{Name: name, SHA256: sum})
	}
	sortFiles(out)
	return out, nil
}

// HashDir hashes every file below the root of fsys (hidden files too), named by its
// slash-separated path; a symbolic link counts as the file it points to. The result is
// sorted by name, so it does not depend on the walk order or the file system.
func HashDir(fsys fs.FS) ([]FileHash, error) {
	var out []FileHash
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			fi, err := fs.Stat(fsys, p) // follows a symbolic link
			if err != nil {
				return err
			}
			if !fi.Mode().IsRegular() {
				return fmt.Errorf("%s is not a regular file (%s)", p, fi.Mode().Type())
			}
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sum, err := hashReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, FileHash{Name: p, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hashing data folder: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("hashing data folder: it holds no files")
	}
	sortFiles(out)
	return out, nil
}

// Manifest renders file hashes as sha256sum does, one "<hex>  <name>\n" line per file,
// sorted by name (byte order).
func Manifest(files []FileHash) string {
	sorted := slices.Clone(files)
	sortFiles(sorted)
	var b strings.Builder
	for _, f := range sorted {
		b.WriteString(strings.ToLower(f.SHA256) + "  " + f.Name + "\n")
	}
	return b.String()
}

// Combine is the one hash that stands for a set of files: the SHA-256 of their Manifest.
// For files in one folder it equals `LC_ALL=C sha256sum $(LC_ALL=C ls) | sha256sum`.
func Combine(files []FileHash) string {
	sum := sha256.Sum256([]byte(Manifest(files)))
	return hex.EncodeToString(sum[:])
}

// parseManifest reads what Manifest writes.
func parseManifest(s string) ([]FileHash, error) {
	var out []FileHash
	for i, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || !isHex(sum, 64) || name == "" {
			return nil, fmt.Errorf("line %d %q is not \"<sha256 hex>  <name>\"", i+1, line)
		}
		out = append(out, FileHash{Name: name, SHA256: sum})
	}
	return out, nil
}

func hashReader(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sortFiles(files []FileHash) {
	slices.SortFunc(files, func(a, b FileHash) int { return strings.Compare(a.Name, b.Name) })
}

// isHex reports whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
