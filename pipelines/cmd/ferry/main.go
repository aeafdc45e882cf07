// Command ferry runs the pipeline's plain-Go stages inside containers: the
// Dagger module builds it from this repository and calls one subcommand per
// step. Results go to files under --out; one summary line goes to stdout;
// errors go to stderr with exit status 2.
//
//	ferry data check --schema S --quality Q --reference R --batch B --out DIR
//	ferry mlflow register --tracking-url URL --model NAME --output DIR …
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: ferry <stage> <command> [flags]

  data check        check a batch against the schema, the quality spec and
                    the reference (availability, schema, quality, drift)
  train check       check a training output: model/, metrics.json, scores
  mlflow register   register a training output in MLflow with its lineage
  oip check         test a model server's Open Inference Protocol API
  oip bench         measure its latency and throughput, against earlier figures
  registry prune    keep the newest N versions of a repository (retention)
  deploy            deploy an image to a Kubernetes environment (rollback, canary)
  manifest render   render a kustomize overlay with the image pinned by digest
  scan gate         apply the scan policy to a Trivy JSON report
  scan test-db      build and push a Trivy DB holding given advisories (tests)
`

// errUsage marks errors in how ferry was called.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and turns its error into an exit status:
// 0 done, 1 a check failed (only with --fail), 2 bad input or usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	command := args[0] + " " + args[1]
	if args[0] == "deploy" {
		command = "deploy"
	}
	switch command {
	case "deploy":
		err = deployRun(ctx, args[1:], stdout)
	case "data check":
		err = dataCheck(ctx, args[2:], stdout)
	case "train check":
		err = trainCheck(ctx, args[2:], stdout)
	case "mlflow register":
		err = mlflowRegister(ctx, args[2:], stdout)
	case "oip check":
		err = oipCheck(ctx, args[2:], stdout)
	case "oip bench":
		err = oipBench(ctx, args[2:], stdout)
	case "registry prune":
		err = registryPrune(ctx, args[2:], stdout)
	case "manifest render":
		err = manifestRender(ctx, args[2:], stdout)
	case "scan gate":
		err = scanGate(ctx, args[2:], stdout)
	case "scan test-db":
		err = scanTestDB(ctx, args[2:], stdout)
	default:
		fmt.Fprintf(stderr, "ferry: unknown command %q\n\n%s", args[0]+" "+args[1], usage)
		return 2
	}
	var failed checkFailed
	switch {
	case err == nil:
		return 0
	case errors.As(err, &failed):
		fmt.Fprintf(stderr, "ferry: %v\n", err)
		return 1
	default:
		fmt.Fprintf(stderr, "ferry: %v\n", err)
		return 2
	}
}

// checkFailed is a check that ran and found violations.
type checkFailed struct{ error }
