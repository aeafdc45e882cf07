// Package oip is a client for the Open Inference Protocol (KServe "v2") REST API, as
// MLServer, KServe and Triton serve it: health, metadata and inference, typed errors,
// output comparison with a tolerance, and a latency probe whose figures can be compared
// run to run. The routes and JSON fields it uses are checked against the protocol's
// published OpenAPI document (testdata/open_inference_rest.yaml).
package oip
