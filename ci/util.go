package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ferryml/ferry/ci/internal/dagger"
)

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// withStderr adds the last lines a failed command wrote to stderr to its
// error, so the reason reaches the caller and the report (Dagger's own
// message says only "exit code: 1").
func withStderr(err error) error {
	var e *dagger.ExecError
	if !errors.As(err, &e) || strings.TrimSpace(e.Stderr) == "" {
		return err
	}
	lines := strings.Split(strings.TrimSpace(e.Stderr), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return fmt.Errorf("%w:\n%s", err, strings.Join(lines, "\n"))
}
