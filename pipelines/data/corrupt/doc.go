// Package corrupt writes damaged copies of a CSV file, one kind of damage each, so tests (and end-to-end checks) can prove the data checks catch them.
package corrupt
