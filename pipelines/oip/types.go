package oip

import "reflect"

// Parameters are the protocol's free-form key/value parameters ($parameters), e.g.
// {"content_type": "pd"} for MLServer's pandas codec.
type Parameters map[string]any

// InferenceRequest is the body of POST .../infer ($inference_request).
type InferenceRequest struct {
	ID         string          `json:"id,omitempty"`
	Parameters Parameters      `json:"parameters,omitempty"`
	Inputs     []RequestInput  `json:"inputs"`
	Outputs    []RequestOutput `json:"outputs,omitempty"`
}

// RequestInput is one input tensor ($request_input). Data holds the elements in row-major
// order, flat or nested: []float64, []int64, []string, []bool or []any all encode.
type RequestInput struct {
	Name       string     `json:"name"`
	Shape      []int64    `json:"shape"`
	Datatype   string     `json:"datatype"`
	Parameters Parameters `json:"parameters,omitempty"`
	Data       any        `json:"data"`
}

// RequestOutput names an output the request asks for ($request_output).
type RequestOutput struct {
	Name       string     `json:"name"`
	Parameters Parameters `json:"parameters,omitempty"`
}

// InferenceResponse is the body of a successful inference ($inference_response).
type InferenceResponse struct {
	ModelName    string           `json:"model_name"`
	ModelVersion string           `json:"model_version,omitempty"`
	ID           string           `json:"id,omitempty"`
	Parameters   Parameters       `json:"parameters,omitempty"`
	Outputs      []ResponseOutput `json:"outputs"`
}

// Output returns the output called name, and whether there is one.
func (r InferenceResponse) Output(name string) (ResponseOutput, bool) {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return ResponseOutput{}, false
}

// ResponseOutput is one output tensor ($response_output). The client decodes Data with
// numbers as json.Number, so INT64 values keep every digit; Values flattens it.
type ResponseOutput struct {
	Name       string     `json:"name"`
	Shape      []int64    `json:"shape"`
	Datatype   string     `json:"datatype"`
	Parameters Parameters `json:"parameters,omitempty"`
	Data       any        `json:"data"`
}

// Values returns Data flattened in row-major order: nested arrays (the protocol's
// $tensor_data allows them) and Go slices of any element type ([]float64, [][]string…)
// are walked; a []byte is one value, as encoding/json sends it.
func (o ResponseOutput) Values() []any { return flatten(reflect.ValueOf(o.Data), nil) }

func flatten(v reflect.Value, out []any) []any {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return out
		}
		v = v.Elem()
	}
	switch {
	case !v.IsValid():
	case (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) && v.Type().Elem().Kind() != reflect.Uint8:
		for i := range v.Len() {
			out = flatten(v.Index(i), out)
		}
	default:
		out = append(out, v.Interface())
	}
	return out
}

// ServerMetadata is the body of GET /v2 ($metadata_server_response).
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// ModelMetadata is the body of GET /v2/models/NAME[/versions/V] ($metadata_model_response).
type ModelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions,omitempty"`
	Platform string           `json:"platform"`
	Inputs   []TensorMetadata `json:"inputs,omitempty"`
	Outputs  []TensorMetadata `json:"outputs,omitempty"`
}

// TensorMetadata describes one input or output of a model ($metadata_tensor); -1 in
// Shape is a dimension of any size.
type TensorMetadata struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

// errorBody is the protocol's error object ($inference_error_response and the metadata
// error responses).
type errorBody struct {
	Error *string `json:"error"`
}
