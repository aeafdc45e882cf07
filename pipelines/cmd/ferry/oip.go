package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ferryml/ferry/pipelines/oip"
)

// oipCheck checks a served model's Open Inference Protocol API and writes
// api-check.json to --out: the model becomes ready within --wait, the server and model
// metadata answer (the model's inputs cover the request's), --request is answered as
// --expected says (numbers within --tolerance), and two malformed requests (a datatype
// the protocol lacks, an unknown model) get a 4xx. A failed step is exit status 1.
//
//	ferry oip check --url URL --model NAME [--version V] --request FILE --expected FILE \
//	  [--tolerance 1e-6] [--wait 60s] --out DIR
func oipCheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry oip check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	url := fs.String("url", "", "inference server base URL (the /v2 routes are joined onto it)")
	model := fs.String("model", "", "model name in the server")
	version := fs.String("version", "", "model version (default: the server's choice)")
	request := fs.String("request", "", "OIP inference request (JSON)")
	expected := fs.String("expected", "", "expected answer to --request (an inference response, or output name → data)")
	tol := fs.Float64("tolerance", 1e-6, "absolute tolerance for numeric outputs")
	wait := fs.Duration("wait", 60*time.Second, "how long to wait for the model to be ready")
	out := fs.String("out", "", "folder to write api-check.json to")
	kubeconfig := fs.String("kubeconfig", "", "reach the server through this cluster's API server (with --service) instead of --url")
	service := fs.String("service", "", "the model's Service as NAMESPACE/NAME:PORT, with --kubeconfig")
	required := map[string]*string{"url": url, "model": model, "request": request, "expected": expected, "out": out}
	if hasFlag(args, "kubeconfig") {
		delete(required, "url")
		required["service"] = service
	}
	if err := oipParse(fs, args, required); err != nil {
		return err
	}
	var opts []oip.Option
	if *kubeconfig != "" {
		base, hc, err := serviceProxy(*kubeconfig, *service)
		if err != nil {
			return err
		}
		*url = base
		opts = append(opts, oip.WithHTTPClient(hc))
	}
	req, err := oipReadRequest(*request)
	if err != nil {
		return err
	}
	eb, err := os.ReadFile(*expected)
	if err != nil {
		return fmt.Errorf("reading the expected answer: %w", err)
	}
	want, err := oip.ParseExpected(eb, req)
	if err != nil {
		return fmt.Errorf("%s: %w", *expected, err)
	}
	c, err := oip.New(*url, opts...)
	if err != nil {
		return fmt.Errorf("%w: ferry oip check: %v", errUsage, err)
	}
	rep := oipCheckReport{URL: c.URL(), Model: *model, Version: *version, Tolerance: *tol}
	step := func(name string, fn func() (string, error)) bool {
		start := time.Now()
		detail, err := fn()
		s := oipStep{Name: name, OK: err == nil, Detail: detail, Ms: float64(time.Since(start).Microseconds()) / 1000}
		if err != nil {
			s.Detail = err.Error()
		}
		rep.Steps = append(rep.Steps, s)
		return err == nil
	}
	ready := step("ready", func() (string, error) {
		wctx, cancel := context.WithTimeout(ctx, *wait)
		defer cancel()
		return "model ready", c.WaitModelReady(wctx, *model, *version, 500*time.Millisecond)
	})
	if ready {
		step("server metadata", func() (string, error) {
			md, err := c.ServerMetadata(ctx)
			if err == nil && (md.Name == "" || md.Version == "") {
				err = fmt.Errorf("server metadata %+v lacks a name or version", md)
			}
			return md.Name + " " + md.Version, err
		})
		step("model metadata", func() (string, error) { return oipCheckModelMetadata(ctx, c, *model, *version, req) })
		step("infer", func() (string, error) {
			got, err := c.Infer(ctx, *model, *version, req)
			if err == nil {
				err = oip.Compare(got, want, *tol)
			}
			return fmt.Sprintf("%s %s answered as expected (tolerance %g)", got.ModelName, got.ModelVersion, *tol), err
		})
		bad := req
		bad.Inputs = slices.Clone(req.Inputs)
		if len(bad.Inputs) > 0 {
			bad.Inputs[0].Datatype = "NOT_A_DATATYPE"
		}
		step("rejects a bad datatype", func() (string, error) { return oipExpect4xx(c.Infer(ctx, *model, *version, bad)) })
		step("rejects an unknown model", func() (string, error) {
			return oipExpect4xx(c.Infer(ctx, *model+"-ferry-does-not-exist", "", req))
		})
	}
	var failed []string
	for _, s := range rep.Steps {
		if !s.OK {
			failed = append(failed, s.Name+": "+s.Detail)
		}
	}
	rep.Passed = len(failed) == 0
	if err := oipWriteJSON(filepath.Join(*out, "api-check.json"), rep); err != nil {
		return err
	}
	if !rep.Passed {
		fmt.Fprintf(stdout, "api check of %s at %s failed: %s\n", *model, rep.URL, failed[0])
		return checkFailed{fmt.Errorf("api check of %s failed:\n  %s", *model, strings.Join(failed, "\n  "))}
	}
	fmt.Fprintf(stdout, "api check of %s at %s passed: %d steps (ready, metadata, infer, 4xx on bad requests)\n", *model, rep.URL, len(rep.Steps))
	return nil
}

// oipBench measures a served model's latency with oip.Probe and writes latency.json and
// latency.md to --out. With --previous (an earlier latency.json), p50, p95, p99 or
// throughput worse by more than --max-ratio is exit status 1; so is any failed request.
//
//	ferry oip bench --url URL --model NAME --request FILE [--n 500] [--concurrency 4] \
//	  [--previous FILE --max-ratio 1.5] [--wait 60s] --out DIR
func oipBench(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry oip bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	url := fs.String("url", "", "inference server base URL (the /v2 routes are joined onto it)")
	model := fs.String("model", "", "model name in the server")
	request := fs.String("request", "", "OIP inference request (JSON) to send")
	n := fs.Int("n", 500, "timed requests")
	conc := fs.Int("concurrency", 4, "requests in flight at once")
	previous := fs.String("previous", "", "latency.json of an earlier run to compare with")
	maxRatio := fs.Float64("max-ratio", 1.5, "largest allowed worsening against --previous (≥ 1)")
	wait := fs.Duration("wait", 60*time.Second, "how long to wait for the model to be ready")
	out := fs.String("out", "", "folder to write latency.json and latency.md to")
	if err := oipParse(fs, args, map[string]*string{"url": url, "model": model, "request": request, "out": out}); err != nil {
		return err
	}
	if *n < 1 || *conc < 1 || !(*maxRatio >= 1) {
		return fmt.Errorf("%w: ferry oip bench: --n %d and --concurrency %d must be ≥ 1 and --max-ratio %g ≥ 1", errUsage, *n, *conc, *maxRatio)
	}
	req, err := oipReadRequest(*request)
	if err != nil {
		return err
	}
	var prev *oip.Figures
	if *previous != "" {
		b, err := os.ReadFile(*previous)
		if err == nil {
			prev = &oip.Figures{}
			err = json.Unmarshal(b, prev)
		}
		if err != nil {
			return fmt.Errorf("reading --previous %s (an earlier latency.json): %w", *previous, err)
		}
	}
	c, err := oip.New(*url)
	if err != nil {
		return fmt.Errorf("%w: ferry oip bench: %v", errUsage, err)
	}
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	if err := c.WaitModelReady(wctx, *model, "", 500*time.Millisecond); err != nil {
		return checkFailed{err}
	}
	f, err := oip.Probe(ctx, c, *model, req, *n, *conc)
	if err != nil {
		return checkFailed{err}
	}
	var verdict error
	if f.Errors > 0 {
		verdict = fmt.Errorf("%d of %d requests failed, the first with: %s", f.Errors, f.N, f.FirstError)
	}
	if prev != nil {
		if err := oip.CompareFigures(*prev, f, *maxRatio); err != nil {
			var r *oip.Regression
			if !errors.As(err, &r) {
				return fmt.Errorf("%w: --previous %s: %v", errUsage, *previous, err)
			}
			verdict = errors.Join(verdict, err)
		}
	}
	md := f.Markdown(prev)
	if verdict != nil {
		md += "\n**Failed:** " + strings.ReplaceAll(verdict.Error(), "\n", "; ") + "\n"
	}
	if err := oipWriteJSON(filepath.Join(*out, "latency.json"), f); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "latency.md"), []byte(md), 0o644); err != nil {
		return fmt.Errorf("writing latency.md: %w", err)
	}
	fmt.Fprintf(stdout, "latency of %s: p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, %.1f req/s over %d requests (%d at a time)\n",
		*model, f.P50, f.P95, f.P99, f.RequestsPerSecond, f.N, f.Concurrency)
	if verdict != nil {
		return checkFailed{fmt.Errorf("latency of %s: %w", *model, verdict)}
	}
	return nil
}

// oipCheckReport is api-check.json.
type oipCheckReport struct {
	URL       string    `json:"url"`
	Model     string    `json:"model"`
	Version   string    `json:"version,omitempty"`
	Tolerance float64   `json:"tolerance"`
	Passed    bool      `json:"passed"`
	Steps     []oipStep `json:"steps"`
}

type oipStep struct {
	Name   string  `json:"name"`
	OK     bool    `json:"ok"`
	Detail string  `json:"detail"`
	Ms     float64 `json:"ms"`
}

// oipCheckModelMetadata checks that the model's metadata names it and lists every input
// the request sends and every output it asks for (when the metadata lists any).
func oipCheckModelMetadata(ctx context.Context, c *oip.Client, model, version string, req oip.InferenceRequest) (string, error) {
	md, err := c.ModelMetadata(ctx, model, version)
	if err != nil {
		return "", err
	}
	if md.Name != model {
		return "", fmt.Errorf("model metadata names %q, want %q", md.Name, model)
	}
	var errs []error
	for _, list := range []struct {
		what string
		have []oip.TensorMetadata
		want []string
	}{
		{"input", md.Inputs, oipNames(req.Inputs, func(t oip.RequestInput) string { return t.Name })},
		{"output", md.Outputs, oipNames(req.Outputs, func(t oip.RequestOutput) string { return t.Name })},
	} {
		names := oipNames(list.have, func(t oip.TensorMetadata) string { return t.Name })
		for _, w := range list.want {
			if len(names) == 0 {
				break // the server lists none: nothing to check against
			}
			if !slices.Contains(names, w) {
				errs = append(errs, fmt.Errorf("the request's %s %q is not among the model's %ss %v", list.what, w, list.what, names))
			}
		}
	}
	return fmt.Sprintf("%d inputs, %d outputs", len(md.Inputs), len(md.Outputs)), errors.Join(errs...)
}

// oipNames lists the names of tensors.
func oipNames[T any](ts []T, name func(T) string) []string {
	var n []string
	for _, t := range ts {
		n = append(n, name(t))
	}
	return n
}

// oipExpect4xx passes when the call was rejected with a 4xx.
func oipExpect4xx(_ oip.InferenceResponse, err error) (string, error) {
	var e *oip.Error
	switch {
	case err == nil:
		return "", errors.New("the server answered 200, want a 4xx rejection")
	case !errors.As(err, &e):
		return "", err
	case !oip.IsClientError(err):
		return "", fmt.Errorf("want a 4xx rejection, got %w", err)
	}
	return fmt.Sprintf("%d: %s", e.StatusCode, e.Message), nil
}

// oipParse parses flags, refuses positional arguments and checks the required flags.
func oipParse(fs *flag.FlagSet, args []string, required map[string]*string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q (every input is a flag)", errUsage, fs.Name(), fs.Arg(0))
	}
	var missing []string
	for name, v := range required {
		if *v == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("%w: %s: %s required", errUsage, fs.Name(), strings.Join(missing, ", "))
	}
	return nil
}

func oipReadRequest(path string) (oip.InferenceRequest, error) {
	var req oip.InferenceRequest
	b, err := os.ReadFile(path)
	if err != nil {
		return req, fmt.Errorf("reading the inference request: %w", err)
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return req, fmt.Errorf("reading the inference request %s: want an OIP inference request (JSON): %w", path, err)
	}
	if len(req.Inputs) == 0 {
		return req, fmt.Errorf("reading the inference request %s: it has no inputs; give at least one tensor in \"inputs\"", path)
	}
	return req, nil
}

func oipWriteJSON(path string, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(path, append(js, '\n'), 0o644)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
