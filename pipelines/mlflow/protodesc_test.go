package mlflow

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
)

// A minimal reader of the protobuf descriptors that MLflow ships inside its generated
// *_pb2.py files (AddSerializedFile(b'...')): enough to list each service method's HTTP
// endpoints (the mlflow.rpc option, extension 51310 of MethodOptions) and each message's
// fields, without a protobuf dependency.

type protoField struct {
	name     string
	typeName string // ".mlflow.RunTag" for message fields, "" for scalars
}

type protoEndpoint struct {
	method, path string
	major, minor int
	input        string // fully qualified request message, e.g. "mlflow.CreateRun"
}

type protoFile struct {
	messages  map[string][]protoField // by fully qualified name
	endpoints []protoEndpoint
}

var serializedFile = regexp.MustCompile(`AddSerializedFile\(b'((?:[^'\\]|\\.)*)'\)`)

// readPb2 parses the first serialized descriptor of a generated _pb2.py file.
func readPb2(path string) (*protoFile, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := serializedFile.FindSubmatch(src)
	if m == nil {
		return nil, fmt.Errorf("%s: no AddSerializedFile(b'...')", path)
	}
	raw, err := unescapePyBytes(string(m[1]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pf := &protoFile{messages: map[string][]protoField{}}
	fields, err := wireFields(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pkg := ""
	for _, f := range fields {
		if f.num == 2 { // FileDescriptorProto.package
			pkg = string(f.data)
		}
	}
	for _, f := range fields {
		switch f.num {
		case 4: // message_type
			err = pf.addMessage(pkg, f.data)
		case 6: // service
			err = pf.addService(pkg, f.data)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return pf, nil
}

func (pf *protoFile) addMessage(scope string, b []byte) error {
	fields, err := wireFields(b)
	if err != nil {
		return err
	}
	var name string
	for _, f := range fields {
		if f.num == 1 {
			name = scope + "." + string(f.data)
		}
	}
	pf.messages[name] = []protoField{}
	for _, f := range fields {
		switch f.num {
		case 2: // FieldDescriptorProto: 1 name, 6 type_name
			sub, err := wireFields(f.data)
			if err != nil {
				return err
			}
			var pfld protoField
			for _, s := range sub {
				switch s.num {
				case 1:
					pfld.name = string(s.data)
				case 6:
					pfld.typeName = string(s.data)
				}
			}
			pf.messages[name] = append(pf.messages[name], pfld)
		case 3: // nested_type
			if err := pf.addMessage(name, f.data); err != nil {
				return err
			}
		}
	}
	return nil
}

// addService reads ServiceDescriptorProto.method (2): MethodDescriptorProto 2 input_type,
// 4 options; MethodOptions 51310 rpc: DatabricksRpcOptions 1 endpoints: HttpEndpoint 1
// method, 2 path, 3 since (ApiVersion 1 major, 2 minor).
func (pf *protoFile) addService(_ string, b []byte) error {
	svc, err := wireFields(b)
	if err != nil {
		return err
	}
	for _, m := range svc {
		if m.num != 2 {
			continue
		}
		meth, err := wireFields(m.data)
		if err != nil {
			return err
		}
		var input string
		var eps []protoEndpoint
		for _, f := range meth {
			switch f.num {
			case 2:
				input = string(f.data[1:]) // ".mlflow.CreateRun" -> "mlflow.CreateRun"
			case 4:
				if eps, err = rpcEndpoints(f.data); err != nil {
					return err
				}
			}
		}
		for _, ep := range eps {
			ep.input = input
			pf.endpoints = append(pf.endpoints, ep)
		}
	}
	return nil
}

func rpcEndpoints(options []byte) ([]protoEndpoint, error) {
	opts, err := wireFields(options)
	if err != nil {
		return nil, err
	}
	var out []protoEndpoint
	for _, o := range opts {
		if o.num != 51310 {
			continue
		}
		rpc, err := wireFields(o.data)
		if err != nil {
			return nil, err
		}
		for _, e := range rpc {
			if e.num != 1 {
				continue
			}
			hf, err := wireFields(e.data)
			if err != nil {
				return nil, err
			}
			var ep protoEndpoint
			for _, h := range hf {
				switch h.num {
				case 1:
					ep.method = string(h.data)
				case 2:
					ep.path = string(h.data)
				case 3:
					since, err := wireFields(h.data)
					if err != nil {
						return nil, err
					}
					for _, s := range since {
						if s.num == 1 {
							ep.major = int(s.varint)
						} else if s.num == 2 {
							ep.minor = int(s.varint)
						}
					}
				}
			}
			out = append(out, ep)
		}
	}
	return out, nil
}

type wireField struct {
	num    int
	varint uint64
	data   []byte // length-delimited payload
}

// wireFields splits a protobuf message into its fields (wire types 0, 1, 2 and 5).
func wireFields(b []byte) ([]wireField, error) {
	var out []wireField
	for len(b) > 0 {
		key, n := uvarint(b)
		if n == 0 {
			return nil, errors.New("bad field key")
		}
		b = b[n:]
		f := wireField{num: int(key >> 3)}
		switch key & 7 {
		case 0:
			if f.varint, n = uvarint(b); n == 0 {
				return nil, errors.New("bad varint")
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return nil, errors.New("short fixed64")
			}
			b = b[8:]
		case 2:
			l, n := uvarint(b)
			if n == 0 || uint64(len(b)-n) < l {
				return nil, errors.New("bad length")
			}
			f.data, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return nil, errors.New("short fixed32")
			}
			b = b[4:]
		default:
			return nil, fmt.Errorf("unsupported wire type %d", key&7)
		}
		out = append(out, f)
	}
	return out, nil
}

func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// unescapePyBytes decodes the body of a Python bytes literal.
func unescapePyBytes(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i++; i == len(s) {
			return nil, errors.New("trailing backslash")
		}
		switch c := s[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'a', 'b', 'f', 'v':
			out = append(out, map[byte]byte{'a': 7, 'b': 8, 'f': 12, 'v': 11}[c])
		case '\\', '\'', '"':
			out = append(out, c)
		case 'x':
			if i+2 >= len(s) {
				return nil, errors.New(`short \x escape`)
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, err
			}
			out, i = append(out, byte(v)), i+2
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 8)
			out, i = append(out, byte(v)), j-1
		default:
			return nil, fmt.Errorf(`unknown escape \%c`, c)
		}
	}
	return out, nil
}
