package deploy

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ferryml/ferry/pipelines/oip"
)

// OIP smoke-tests and probes a model served with the Open Inference Protocol (MLServer):
// the server is live and ready, and Request gets Expected back.
type OIP struct {
	Model     string                 // model name in the server
	Version   string                 // model version; "" for the default
	Request   oip.InferenceRequest   // sent to /v2/models/<Model>[/versions/<Version>]/infer
	Expected  *oip.InferenceResponse // nil: any successful answer passes the smoke test
	Tolerance float64                // for numeric outputs (oip.Compare)
}

var (
	_ Smoker = OIP{}
	_ Prober = OIP{}
)

// Smoke checks /v2/health/live, /v2/health/ready, then one inference against Expected.
func (c OIP) Smoke(ctx context.Context, hc *http.Client, base string) error {
	client, err := oip.New(base, oip.WithHTTPClient(hc))
	if err != nil {
		return err
	}
	if err := client.Live(ctx); err != nil {
		return fmt.Errorf("checking liveness: %w", err)
	}
	if err := client.Ready(ctx); err != nil {
		return fmt.Errorf("checking readiness: %w", err)
	}
	got, err := c.infer(ctx, client)
	if err != nil {
		return err
	}
	if c.Expected != nil {
		if err := oip.Compare(got, *c.Expected, c.Tolerance); err != nil {
			return fmt.Errorf("model %s answered differently from the expected answer: %w", c.Model, err)
		}
	}
	return nil
}

// Probe sends Request once and returns the values of every output, in the response's order.
func (c OIP) Probe(ctx context.Context, hc *http.Client, base string) (Answer, error) {
	client, err := oip.New(base, oip.WithHTTPClient(hc))
	if err != nil {
		return Answer{}, err
	}
	got, err := c.infer(ctx, client)
	if err != nil {
		return Answer{}, err
	}
	var a Answer
	for _, o := range got.Outputs {
		a.Values = append(a.Values, o.Values()...)
	}
	if len(a.Values) == 0 {
		return a, errors.New("the inference response has no output values")
	}
	return a, nil
}

func (c OIP) infer(ctx context.Context, client *oip.Client) (oip.InferenceResponse, error) {
	if c.Model == "" {
		return oip.InferenceResponse{}, errors.New("no model name for the inference request (--model)")
	}
	got, err := client.Infer(ctx, c.Model, c.Version, c.Request)
	if err != nil {
		return got, fmt.Errorf("inference on model %s: %w", c.Model, err)
	}
	return got, nil
}
