// Command testbed brings up, on a machine without Docker or network access
// beyond package registries, everything the ferry module needs to run for
// real: a Dagger engine built from source, registries that mirror docker.io,
// ghcr.io and quay.io with images built from Debian packages, and relays
// through which containers install Go modules and Python packages.
//
// What it builds is declared in testbed.yaml and cached by version outside
// the checkout (FERRY_CACHE, default ~/.cache/ferry).
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/ferryml/ferry/testbed/internal/engine"
)

//go:embed testbed.yaml
var specYAML []byte

//go:embed stubs files
var assets embed.FS

const usage = `usage: testbed <command>

Commands:
  up        build what is missing (cached), then start the registries, the
            relays and the Dagger engine; running parts are kept (idempotent)
  down      stop what up started and remove its network namespace and links
  status    show what runs and whether it answers
  env       print the shell exports that use the engine: eval "$(testbed env)"
  build     build the tools and images without starting anything new
  image REF print the digest-pinned reference the mirror serves for REF
  clean     down, then delete the caches (tools, images, engine state)

Environment:
  FERRY_CACHE         cache folder (default ~/.cache/ferry)
  FERRY_TESTBED_NAME  instance name, 1-8 lower-case letters (default ferry)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	// Internal entry points of the processes up starts.
	switch os.Args[1] {
	case "__engine-init":
		if len(os.Args) != 3 {
			fatal(errors.New("__engine-init takes one argument"))
		}
		fatal(engine.Init(os.Args[2]))
	case "__relay":
		if len(os.Args) != 3 {
			fatal(errors.New("__relay takes one argument"))
		}
		fatal(runRelay(os.Args[2]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tb, err := newTestbed()
	if err != nil {
		fatal(err)
	}
	switch cmd := os.Args[1]; cmd {
	case "up":
		err = tb.up(ctx)
	case "down":
		err = tb.down(ctx)
	case "status":
		err = tb.status(ctx, os.Stdout)
	case "env":
		err = tb.env(os.Stdout)
	case "build":
		_, err = tb.build(ctx, nil)
	case "image":
		if len(os.Args) != 3 {
			err = errors.New("usage: testbed image REF (e.g. python:3.11-slim-bookworm)")
			break
		}
		err = tb.image(os.Stdout, os.Args[2])
	case "clean":
		err = tb.clean(ctx)
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "testbed: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	if err == nil {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "testbed: %v\n", err)
	os.Exit(1)
}

// sub returns the embedded folder dir.
func sub(dir string) fs.FS {
	f, err := fs.Sub(assets, dir)
	if err != nil {
		panic(err) // the folder is embedded at build time
	}
	return f
}
