package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Objects splits a rendered YAML stream (Render's output) into objects, in
// order, skipping empty documents. Every object must have an apiVersion, a
// kind and a name.
func Objects(rendered []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(rendered), 4096)
	var objs []*unstructured.Unstructured
	for i := 1; ; i++ {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading object %d: %w", i, err)
		}
		if len(m) == 0 {
			i--
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("reading object %d: want apiVersion, kind and metadata.name, got apiVersion %q kind %q name %q",
				i, u.GetAPIVersion(), u.GetKind(), u.GetName())
		}
		objs = append(objs, u)
	}
}
