package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ferryml/ferry/pipelines/deploy"
	"github.com/ferryml/ferry/pipelines/manifest"
	"github.com/ferryml/ferry/pipelines/oip"
)

// deployRun deploys an image to the cluster the kubeconfig names (deploy.Deploy) and
// writes --out/deploy.json and --out/deploy.md; stdout gets one summary line. The image's
// signature was checked by the pipeline's sign stage: --verified-digest is the digest it
// checked, and any other digest is refused. A deploy that failed (and was rolled back)
// is a failed check: exit status 1.
//
//	ferry deploy --kubeconfig FILE --env staging --manifests DIR --image REF@sha256:… \
//	  --verified-digest sha256:… [--strategy rolling|canary] [--approve TEXT] [--timeout 5m] \
//	  [--request FILE --expected FILE --model NAME] --out DIR
func deployRun(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry deploy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig of the target cluster")
	kubeContext := fs.String("context", "", "kubeconfig context (default: the current one)")
	env := fs.String("env", "", "environment: dev, staging or production")
	manifests := fs.String("manifests", "", "manifests folder: base/ and overlays/<env>/ (rendered with the image)")
	rendered := fs.String("rendered", "", "pre-rendered manifests (YAML), instead of --manifests")
	namespace := fs.String("namespace", "", "target namespace (default: the one the manifests name)")
	image := fs.String("image", "", "image pinned by digest: name@sha256:<64 hex>")
	verified := fs.String("verified-digest", "", "digest whose signature the pipeline verified (sha256:…)")
	strategy := fs.String("strategy", string(deploy.Rolling), "rolling or canary")
	approve := fs.String("approve", "", "who approved, e.g. a name and change ticket (required for production)")
	timeout := fs.Duration("timeout", 5*time.Minute, "how long each rollout may take")
	lockWait := fs.Duration("lock-wait", 2*time.Minute, "how long to wait for another deploy to the namespace")
	request := fs.String("request", "", "OIP inference request (JSON) for the smoke test and canary analysis")
	expected := fs.String("expected", "", "expected answer to --request (oip.ParseExpected)")
	model := fs.String("model", "", "model name in the server, for --request")
	modelVersion := fs.String("model-version", "", "model version in the server (default: the server's)")
	tolerance := fs.Float64("tolerance", 1e-6, "absolute tolerance for numeric outputs")
	out := fs.String("out", "", "folder to write deploy.json and deploy.md to")
	verbose := fs.Bool("v", false, "log each step to stderr")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: ferry deploy: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: ferry deploy: unexpected argument %q (every input is a flag)", errUsage, fs.Arg(0))
	}
	for _, f := range []struct{ name, v string }{{"kubeconfig", *kubeconfig}, {"env", *env}, {"image", *image},
		{"verified-digest", *verified}, {"out", *out}} {
		if f.v == "" {
			return fmt.Errorf("%w: ferry deploy: --%s is required", errUsage, f.name)
		}
	}
	if (*manifests == "") == (*rendered == "") {
		return fmt.Errorf("%w: ferry deploy: give either --manifests DIR or --rendered FILE", errUsage)
	}
	if (*request == "") != (*model == "") || (*expected != "" && *request == "") {
		return fmt.Errorf("%w: ferry deploy: --request needs --model (and --expected needs --request)", errUsage)
	}
	// Refuse before touching the cluster: the CLI only deploys what was verified.
	if err := deploy.DigestVerifier(*verified).Verify(ctx, *image); err != nil {
		return fmt.Errorf("%w: ferry deploy: %v", errUsage, err)
	}
	objs, err := loadObjects(ctx, *manifests, *rendered, *env, *image)
	if err != nil {
		return err
	}
	check, err := loadCheck(*request, *expected, *model, *modelVersion, *tolerance)
	if err != nil {
		return err
	}
	loading := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: *kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: *kubeContext})
	cfg, err := loading.ClientConfig()
	if err != nil {
		return fmt.Errorf("reading the kubeconfig %s: %w", *kubeconfig, err)
	}
	opts := []deploy.Option{deploy.WithVerifier(deploy.DigestVerifier(*verified)), deploy.WithLock(*lockWait, 30*time.Second)}
	if check != nil {
		opts = append(opts, deploy.WithSmoker(*check), deploy.WithProber(*check))
	}
	if *verbose {
		opts = append(opts, deploy.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	}
	rep, derr := deploy.Deploy(ctx, cfg, deploy.Request{
		Env: *env, Namespace: *namespace, Objects: objs, Image: *image, Strategy: deploy.Strategy(*strategy),
		Approval: *approve, Timeout: *timeout,
	}, opts...)
	if err := writeDeployReport(*out, rep); err != nil {
		return errors.Join(derr, err)
	}
	if derr != nil {
		var de *deploy.Error
		if errors.As(derr, &de) && (de.Step == "validate" || de.Step == "verify") {
			return fmt.Errorf("%w: ferry deploy: %v", errUsage, derr)
		}
		return checkFailed{fmt.Errorf("deploy to %s failed at %w", *env, derr)}
	}
	fmt.Fprintf(stdout, "deployed %s to %s (namespace %s, %s) in %s\n", rep.To, rep.Env, rep.Namespace, rep.Strategy, rep.Duration.Round(time.Millisecond))
	return nil
}

// loadObjects renders the manifests with the image, or reads pre-rendered ones.
func loadObjects(ctx context.Context, dir, rendered, env, image string) ([]*unstructured.Unstructured, error) {
	var data []byte
	var err error
	if dir != "" {
		data, err = manifest.Render(ctx, dir, env, image)
	} else if data, err = os.ReadFile(rendered); err != nil {
		err = fmt.Errorf("reading the rendered manifests: %w", err)
	}
	if err != nil {
		return nil, err
	}
	return deploy.ParseObjects(data)
}

// loadCheck builds the OIP smoke test and probe from --request, --expected and --model.
func loadCheck(request, expected, model, version string, tol float64) (*deploy.OIP, error) {
	if request == "" {
		return nil, nil
	}
	b, err := os.ReadFile(request)
	if err != nil {
		return nil, fmt.Errorf("reading the smoke request: %w", err)
	}
	c := &deploy.OIP{Model: model, Version: version, Tolerance: tol}
	if err := json.Unmarshal(b, &c.Request); err != nil {
		return nil, fmt.Errorf("reading the smoke request %s: want an OIP inference request (JSON): %w", request, err)
	}
	if expected != "" {
		eb, err := os.ReadFile(expected)
		if err != nil {
			return nil, fmt.Errorf("reading the expected answer: %w", err)
		}
		want, err := oip.ParseExpected(eb, c.Request)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", expected, err)
		}
		c.Expected = &want
	}
	return c, nil
}

func writeDeployReport(dir string, rep deploy.Report) error {
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing the deploy report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deploy.json"), js, 0o644); err != nil {
		return fmt.Errorf("writing the deploy report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "deploy.md"), []byte(rep.Markdown()), 0o644); err != nil {
		return fmt.Errorf("writing the deploy report: %w", err)
	}
	return nil
}
