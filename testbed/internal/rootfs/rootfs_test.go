package rootfs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferryml/ferry/testbed/internal/layout"
	"github.com/ferryml/ferry/testbed/internal/spec"
)

func TestArgs(t *testing.T) {
	b := &Builder{Debian: spec.Debian{Suite: "bookworm", Mirror: "http://m", Exclude: []string{"/usr/share/doc/*"}}}
	img := spec.Image{Name: "x", Packages: []string{"python3", "ca-certificates"}, Hooks: []string{`rm -f "$1"/a`}}
	got := strings.Join(b.Args(img, "/out.tar"), " ")
	for _, want := range []string{
		"--variant=minbase", "--format=tar", "--skip=output/dev",
		"--include=python3,ca-certificates",
		"--dpkgopt=path-exclude=/usr/share/doc/*",
		`--customize-hook=rm -f "$1"/a`,
		"bookworm /out.tar http://m",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Args() = %s\nwant it to contain %s", got, want)
		}
	}
}

func TestHooksRunAgainstAnEmptyRoot(t *testing.T) {
	cache := t.TempDir()
	if err := os.MkdirAll(filepath.Join(cache, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := &Builder{Layout: layout.Layout{Cache: cache}, Env: []string{"GREETING=hi"}}
	dir, err := b.Hooks(context.Background(), spec.Image{Name: "x", Hooks: []string{`mkdir -p "$1"/etc && echo "$GREETING" > "$1"/etc/greeting`}})
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if data, err := os.ReadFile(filepath.Join(dir, "etc/greeting")); err != nil || string(data) != "hi\n" {
		t.Errorf("greeting = %q, %v", data, err)
	}
	_, err = b.Hooks(context.Background(), spec.Image{Name: "x", Hooks: []string{"exit 3"}})
	if err == nil || !strings.Contains(err.Error(), `running hook "exit 3" of x`) {
		t.Errorf("Hooks(failing) = %v, want an error naming the hook and image", err)
	}
}
