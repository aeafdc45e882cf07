package oip

import (
	"strings"
	"testing"
)

// What MLServer 1.7.1 answers to malformed requests, as the client reports it. The
// protocol-level mistakes (a datatype the protocol lacks, an unknown model or output, a
// codec that cannot decode the inputs) are 4xx with a message. Two are not, and the tests pin that so a
// change in MLServer shows: a tensor that the model cannot use (an unknown input name)
// fails inside the model and answers 500, and a shape that does not match the data is
// not checked by the pandas codec at all.
func TestMalformedRequests(t *testing.T) {
	srv := realServer(t)
	c, ctx, m := newClient(t, srv.URL), testCtx(t), srv.Model
	tests := []struct {
		name   string
		model  string
		edit   func(*InferenceRequest)
		status int
		msg    string // a part of the message
	}{
		{"bad datatype", m.Name, func(r *InferenceRequest) { r.Inputs[0].Datatype = "FLOAT99" }, 422, `"datatype"`},
		{"unknown model", "nope", func(*InferenceRequest) {}, 404, "Model nope not found"},
		{"unknown output", m.Name, func(r *InferenceRequest) { r.Outputs = []RequestOutput{{Name: "nope"}} }, 400, "nope was received"},
		{"codec that cannot decode the inputs", m.Name, func(r *InferenceRequest) { r.Parameters = Parameters{"content_type": "np"} }, 400, "single input tensor"},
		{"unknown input (MLServer: 500)", m.Name, func(r *InferenceRequest) { r.Inputs[0].Name = "karat" }, 500, "columns are missing"},
		{"text in a number column (MLServer: 500)", m.Name, func(r *InferenceRequest) { r.Inputs[0].Data = []string{"a", "b", "c"} }, 500, "could not convert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := readRequest(t)
			tt.edit(&req)
			_, err := c.Infer(ctx, tt.model, "", req)
			e, ok := err.(*Error)
			if !ok || e.StatusCode != tt.status || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("Infer(%s) = %v, want an *Error %d saying %q", tt.name, err, tt.status, tt.msg)
			}
			if IsClientError(err) != (tt.status < 500) {
				t.Errorf("IsClientError(%v) = %v, want %v", err, IsClientError(err), tt.status < 500)
			}
		})
	}
	t.Run("wrong shape is not checked", func(t *testing.T) {
		req := readRequest(t)
		req.Inputs[0].Shape = []int64{4, 1} // 3 values
		got, err := c.Infer(ctx, m.Name, "", req)
		if p, ok := got.Output("predict"); err != nil || !ok || len(p.Values()) != 3 {
			t.Errorf("Infer(shape [4 1] for 3 values) = %+v, %v; MLServer 1.7.1 answered 3 classes: did it start checking shapes?", got, err)
		}
	})
}
