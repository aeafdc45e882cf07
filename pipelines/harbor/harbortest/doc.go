// Package harbortest is a fake Harbor for tests: an HTTP server that answers
// exactly the Harbor v2.0 API routes ferry's harbor adapter uses, with
// in-memory projects, retention policies and artifacts whose scan goes from
// Pending through Running to Success, behind HTTP basic auth.
//
// Harbor cannot run on ferry's machines, so this stands in for it. Routes
// lists every route with its swagger path template, parameters, request and
// response types; the package's contract test checks each of them, and every
// request and response recorded while driving the adapter, against the
// swagger.yaml that github.com/goharbor/go-client ships.
package harbortest
