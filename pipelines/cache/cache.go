// Package cache names the one folder where ferry keeps what it builds or
// downloads between runs (tools, virtual environments, images), outside any
// checkout: $FERRY_CACHE, else $XDG_CACHE_HOME/ferry, else ~/.cache/ferry.
package cache

import (
	"fmt"
	"os"
	"path/filepath"
)

// Dir returns the absolute path of the cache folder (it may not exist yet).
func Dir() (string, error) {
	dir := os.Getenv("FERRY_CACHE")
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("finding the cache folder (set FERRY_CACHE): %w", err)
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "ferry")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolving the cache folder %q: %w", dir, err)
	}
	return abs, nil
}
