package gotool

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/ferryml/ferry/testbed/internal/layout"
	"github.com/ferryml/ferry/testbed/internal/spec"
)

func TestPkgPath(t *testing.T) {
	tests := map[string]string{"./cmd/engine": "m/cmd/engine", ".": "m", "": "m", "cmd/x": "m/cmd/x"}
	for rel, want := range tests {
		if got := pkgPath("m", rel); got != want {
			t.Errorf("pkgPath(m, %q) = %q, want %q", rel, got, want)
		}
	}
}

func TestGoLine(t *testing.T) {
	for in, want := range map[string]string{"1.26.8": "1.26.8", "1.27rc1": "1.27", "1.25.0": "1.25.0"} {
		if got := goLine(in); got != want {
			t.Errorf("goLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCopyStub(t *testing.T) {
	stubs := fstest.MapFS{
		"distconsts/go.mod.tmpl": {Data: []byte("module x\n")},
		"distconsts/consts.go":   {Data: []byte("package distconsts\n")},
	}
	dst := filepath.Join(t.TempDir(), "stub")
	if err := copyStub(stubs, "distconsts", dst); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(dst, "go.mod")); err != nil || string(data) != "module x\n" {
		t.Errorf("go.mod = %q, %v; want the .tmpl renamed", data, err)
	}
	if err := copyStub(nil, "x", dst); err == nil {
		t.Error("copyStub(nil) = nil")
	}
}

// The cache key changes with the recipe, the Go version and the stubs, so
// a changed pin rebuilds and an unchanged one never does.
func TestDirChangesWithInputs(t *testing.T) {
	l := layout.Layout{Cache: "/c", Name: "x"}
	tool := spec.Tool{Name: "t", Module: "m", Version: "v1.0.0", Binaries: map[string]string{"t": "."}, Stubs: map[string]string{"m/s": "s"}}
	stubs := fstest.MapFS{"s/a.go": {Data: []byte("package s\n")}}
	b := &Builder{Layout: l, Stubs: stubs, GoVersion: "1.26.8"}
	base := b.Dir(tool)
	if b.Dir(tool) != base {
		t.Fatal("Dir not stable")
	}
	other := tool
	other.Version = "v1.0.1"
	if b.Dir(other) == base {
		t.Error("Dir same for another version")
	}
	b2 := &Builder{Layout: l, Stubs: stubs, GoVersion: "1.26.9"}
	if b2.Dir(tool) == base {
		t.Error("Dir same for another Go version")
	}
	b3 := &Builder{Layout: l, Stubs: fstest.MapFS{"s/a.go": {Data: []byte("package s // changed\n")}}, GoVersion: "1.26.8"}
	if b3.Dir(tool) == base {
		t.Error("Dir same for changed stubs")
	}
	if complete(t.TempDir(), tool) {
		t.Error("complete(empty dir) = true")
	}
}
