package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

// ApiTest starts the image as a service and runs the model API tests over
// the Open Inference Protocol: health (live, ready), server and model
// metadata, a known request answered as expected within tolerance, a
// malformed request refused with a 4xx and an error body; then a latency
// and throughput probe (p50/p95/p99, requests/s), compared with the previous
// version's figures when given. Returns api-check.json, latency.json and
// latency.md; fails when a check fails or latency regressed beyond the ratio.
// Never cached: each call measures again.
// +cache="never"
func (s *ServingImage) ApiTest(
	ctx context.Context,
	// A V2 inference request with known answers.
	// +optional
	request *dagger.File,
	// The expected response to it.
	// +optional
	expected *dagger.File,
	// Tolerance for numeric outputs.
	// +default="1e-6"
	tolerance string,
	// latency.json of the previous version, to compare with.
	// +optional
	previous *dagger.File,
	// Largest allowed ratio of a latency figure to the previous one.
	// +default="1.5"
	maxRatio string,
	// Requests the probe sends.
	// +default=300
	requests int,
	// Requests in flight at once.
	// +default=4
	concurrency int,
) (*dagger.Directory, error) {
	m := s.Ferry
	if request == nil {
		request = m.Source.File("models/diamonds/testdata/infer-request.json")
	}
	if expected == nil {
		expected = m.Source.File("models/diamonds/testdata/infer-expected.json")
	}
	for name, v := range map[string]string{"tolerance": tolerance, "max-ratio": maxRatio} {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return nil, fmt.Errorf("model API tests: --%s %q is not a number", name, v)
		}
	}
	box, err := m.toolbox()
	if err != nil {
		return nil, err
	}
	url := fmt.Sprintf("http://model:%d", httpPort)
	ctr := box.
		WithServiceBinding("model", s.Service()).
		WithFile("/in/request.json", request).
		WithFile("/in/expected.json", expected).
		// Latency is measured, not cached: each call probes again.
		WithEnvVariable("FERRY_CALL", time.Now().UTC().Format(time.RFC3339Nano)).
		WithExec([]string{"ferry", "oip", "check", "--url", url, "--model", s.Name,
			"--request", "/in/request.json", "--expected", "/in/expected.json",
			"--tolerance", tolerance, "--wait", "180s", "--out", "/out"})
	bench := []string{"ferry", "oip", "bench", "--url", url, "--model", s.Name,
		"--request", "/in/request.json", "--n", strconv.Itoa(requests),
		"--concurrency", strconv.Itoa(concurrency), "--out", "/out"}
	if previous != nil {
		ctr = ctr.WithFile("/in/previous.json", previous)
		bench = append(bench, "--previous", "/in/previous.json", "--max-ratio", maxRatio)
	}
	out := ctr.WithExec(bench).Directory("/out")
	if _, err := out.Sync(ctx); err != nil {
		return nil, fmt.Errorf("model API tests of %s:%s: %w", s.Name, s.Version, withStderr(err))
	}
	return out, nil
}
