package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ferryml/ferry/pipelines/manifest"
)

// manifestRender renders one overlay of the manifests folder with the image
// set by digest (manifest.Render) and writes it to --out/<env>.yaml; stdout
// gets one line naming the file, the image and the number of objects.
//
//	ferry manifest render --manifests DIR --env staging --image REF@sha256:… --out DIR
func manifestRender(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry manifest render", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("manifests", "manifests", "manifests folder: base/ and overlays/<env>/")
	env := fs.String("env", "", "environment: a folder under overlays/ (dev, staging, production)")
	image := fs.String("image", "", "image pinned by digest: name@sha256:<64 hex>, as the push step prints it")
	out := fs.String("out", "", "folder to write <env>.yaml to")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: ferry manifest render: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: ferry manifest render: unexpected argument %q (every input is a flag)", errUsage, fs.Arg(0))
	}
	for _, f := range []struct{ name, v string }{{"env", *env}, {"image", *image}, {"out", *out}} {
		if f.v == "" {
			return fmt.Errorf("%w: ferry manifest render: --%s is required", errUsage, f.name)
		}
	}
	rendered, err := manifest.Render(ctx, *dir, *env, *image)
	if err != nil {
		return err
	}
	objs, err := manifest.Objects(rendered)
	if err != nil {
		return fmt.Errorf("checking the rendered %s: %w", *env, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("writing the rendered %s: %w", *env, err)
	}
	path := filepath.Join(*out, *env+".yaml")
	if err := os.WriteFile(path, rendered, 0o644); err != nil {
		return fmt.Errorf("writing the rendered %s: %w", *env, err)
	}
	fmt.Fprintf(stdout, "rendered %s: %d objects, image %s, in %s\n", *env, len(objs), *image, path)
	return nil
}
