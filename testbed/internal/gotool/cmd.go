package gotool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
)

// jsonField reads one string field of the JSON object `go mod download
// -json` prints, reporting the command's own error field when set.
func jsonField(out []byte, field string) (string, error) {
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("reading go mod download output: %w", err)
	}
	if e, ok := m["Error"].(string); ok && e != "" {
		return "", errors.New(e)
	}
	v, _ := m[field].(string)
	if v == "" {
		return "", fmt.Errorf("go mod download printed no %s", field)
	}
	return v, nil
}

// exitErr adds a command's stderr to its exit error.
func exitErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w\n%s", err, tail(ee.Stderr, 20))
	}
	return err
}

// tail keeps the last n lines of out: build logs end with what matters.
func tail(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
