package oip

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func out(name, datatype string, shape []int64, data any) ResponseOutput {
	return ResponseOutput{Name: name, Datatype: datatype, Shape: shape, Data: data}
}

func TestCompare(t *testing.T) {
	got := InferenceResponse{ModelName: "m", ModelVersion: "v1", Outputs: []ResponseOutput{
		out("label", "BYTES", []int64{2, 1}, []any{"a", "b"}),
		out("proba", "FP64", []int64{2, 2}, []any{json.Number("0.25"), json.Number("0.75"), json.Number("0.5"), json.Number("0.5")}),
		out("id", "INT64", []int64{1}, []any{json.Number("9007199254740993")}), // 2^53+1
		out("flag", "BOOL", []int64{1}, []any{true}),
	}}
	tests := []struct {
		name string
		want InferenceResponse
		tol  float64
		errs []string // substrings of the error, none for a match
	}{
		{"itself", got, 0, nil},
		{"within tolerance", InferenceResponse{Outputs: []ResponseOutput{out("proba", "", nil, []float64{0.2500001, 0.75, 0.5, 0.4999999})}}, 1e-6, nil},
		{"nested data", InferenceResponse{Outputs: []ResponseOutput{out("proba", "", nil, []any{[]any{0.25, 0.75}, []any{0.5, 0.5}})}}, 0, nil},
		{"outside tolerance", InferenceResponse{Outputs: []ResponseOutput{out("proba", "", nil, []float64{0.25, 0.75, 0.5, 0.51})}}, 1e-6,
			[]string{`output "proba"[3]: got 0.5, want 0.51`}},
		{"string differs", InferenceResponse{Outputs: []ResponseOutput{out("label", "", nil, []string{"a", "c"})}}, 0,
			[]string{`output "label"[1]: got "b", want "c"`}},
		{"int64 past 2^53", InferenceResponse{Outputs: []ResponseOutput{out("id", "", nil, []int64{9007199254740992})}}, 0,
			[]string{`output "id"[0]: got 9007199254740993, want 9007199254740992`}},
		{"bool differs", InferenceResponse{Outputs: []ResponseOutput{out("flag", "", nil, []bool{false})}}, 0, []string{`output "flag"[0]`}},
		{"missing output", InferenceResponse{Outputs: []ResponseOutput{out("nope", "", nil, []int{1})}}, 0, []string{`output "nope" is missing`}},
		{"shape", InferenceResponse{Outputs: []ResponseOutput{out("label", "", []int64{1, 2}, []string{"a", "b"})}}, 0, []string{"shape [2 1], want [1 2]"}},
		{"datatype", InferenceResponse{Outputs: []ResponseOutput{out("label", "STRING", nil, []string{"a", "b"})}}, 0, []string{"datatype BYTES, want STRING"}},
		{"length", InferenceResponse{Outputs: []ResponseOutput{out("label", "", nil, []string{"a"})}}, 0, []string{"2 elements, want 1"}},
		{"number vs string", InferenceResponse{Outputs: []ResponseOutput{out("label", "", nil, []int{1, 2})}}, 0, []string{`want the number 1`}},
		{"model", InferenceResponse{ModelName: "other", ModelVersion: "v2"}, 0, []string{`model_name = "m", want "other"`, `model_version = "v1", want "v2"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Compare(got, tt.want, tt.tol)
			if len(tt.errs) == 0 {
				if err != nil {
					t.Errorf("Compare() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Compare() = nil, want errors %q", tt.errs)
			}
			for _, s := range tt.errs {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Compare() = %v, want it to say %q", err, s)
				}
			}
		})
	}
}

func TestCompareListsAtMostTenDiffs(t *testing.T) {
	g := make([]float64, 25)
	w := make([]float64, 25)
	for i := range w {
		w[i] = 1
	}
	err := Compare(InferenceResponse{Outputs: []ResponseOutput{out("x", "", nil, g)}}, InferenceResponse{Outputs: []ResponseOutput{out("x", "", nil, w)}}, 0)
	if err == nil || strings.Count(err.Error(), "\n") != 10 || !strings.Contains(err.Error(), "15 more elements differ") {
		t.Errorf("Compare(25 diffs) = %v, want 10 listed and 15 more counted", err)
	}
	if err := Compare(InferenceResponse{}, InferenceResponse{}, -1); err == nil {
		t.Error("Compare(tol -1) = nil, want an error")
	}
}

func TestParseExpectedDiamonds(t *testing.T) {
	req := readRequest(t)
	b, err := os.ReadFile(testdataDir + "/infer-expected.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParseExpected(b, req)
	if err != nil {
		t.Fatal(err)
	}
	if want.ModelName != "diamonds" || len(want.Outputs) != 1 || want.Outputs[0].Name != "predict" || len(want.Outputs[0].Values()) != 3 {
		t.Errorf("ParseExpected(infer-expected.json) = %+v, want model diamonds and the 3 predict classes only", want)
	}
	if _, err := ParseExpected(b, InferenceRequest{}); err == nil || !strings.Contains(err.Error(), "must list the outputs") {
		t.Errorf("ParseExpected(request without outputs) = %v, want an error asking for outputs", err)
	}
	if _, err := ParseExpected(b, InferenceRequest{Outputs: []RequestOutput{{Name: "transform"}}}); err == nil || !strings.Contains(err.Error(), "no key names an output") {
		t.Errorf("ParseExpected(no matching key) = %v, want an error", err)
	}
	full := []byte(`{"model_name": "m", "outputs": [{"name": "p", "shape": [1], "datatype": "INT64", "data": [9007199254740993]}]}`)
	resp, err := ParseExpected(full, req)
	if err != nil || resp.Outputs[0].Values()[0] != json.Number("9007199254740993") {
		t.Errorf("ParseExpected(response form) = %+v, %v; want the INT64 kept exactly", resp, err)
	}
}

// testdataDir holds the diamonds model's inference request and expected answer.
const testdataDir = "../../models/diamonds/testdata"

func readRequest(t testing.TB) InferenceRequest {
	t.Helper()
	b, err := os.ReadFile(testdataDir + "/infer-request.json")
	if err != nil {
		t.Fatal(err)
	}
	var req InferenceRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatalf("parsing infer-request.json: %v", err)
	}
	return req
}
