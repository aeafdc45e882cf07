package lineage_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ferryml/ferry/pipelines/lineage"
)

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestHashFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{"b.csv": "b\n", "a.csv": "a\n", "sub/a.csv": "other\n"})
	got, err := lineage.HashFiles(filepath.Join(dir, "b.csv"), filepath.Join(dir, "a.csv"))
	want := []lineage.FileHash{{Name: "a.csv", SHA256: sum("a\n")}, {Name: "b.csv", SHA256: sum("b\n")}}
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("HashFiles(b.csv, a.csv) = %v, %v, want %v", got, err, want)
	}
	if _, err := lineage.HashFiles(filepath.Join(dir, "a.csv"), filepath.Join(dir, "sub", "a.csv")); err == nil || !strings.Contains(err.Error(), "HashDir") {
		t.Errorf("HashFiles(two a.csv) = %v, want an error pointing at HashDir", err)
	}
	if _, err := lineage.HashFiles(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("HashFiles(a folder) = %v, want an error saying it is a directory", err)
	}
	if _, err := lineage.HashFiles(filepath.Join(dir, "missing.csv")); err == nil {
		t.Errorf("HashFiles(missing.csv) = nil error, want one")
	}

	// Combine is what the shell computes for the same folder.
	if _, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command("sh", "-c", "LC_ALL=C sha256sum a.csv b.csv | sha256sum")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if shell := strings.Fields(string(out))[0]; shell != lineage.Combine(got) {
			t.Errorf("Combine() = %s, want sha256sum's %s", lineage.Combine(got), shell)
		}
	}
}

func TestHashDir(t *testing.T) {
	files := map[string]string{"b.csv": "b\n", "a.csv": "a\n", "sub/c.csv": "c\n", ".hidden": "h"}
	onDisk, err := lineage.HashDir(os.DirFS(writeFiles(t, files)))
	if err != nil {
		t.Fatal(err)
	}
	mem := fstest.MapFS{}
	for name, content := range files {
		mem[name] = &fstest.MapFile{Data: []byte(content)}
	}
	inMemory, err := lineage.HashDir(mem)
	if err != nil {
		t.Fatal(err)
	}
	if lineage.Manifest(onDisk) != lineage.Manifest(inMemory) {
		t.Errorf("HashDir(disk) = %v, HashDir(memory) = %v, want equal", onDisk, inMemory)
	}
	names := []string{".hidden", "a.csv", "b.csv", "sub/c.csv"}
	for i, f := range onDisk {
		if f.Name != names[i] || f.SHA256 != sum(files[f.Name]) {
			t.Errorf("HashDir()[%d] = %v, want %s with its sha256", i, f, names[i])
		}
	}
	if _, err := lineage.HashDir(fstest.MapFS{}); err == nil {
		t.Errorf("HashDir(empty) = nil error, want one")
	}
}
