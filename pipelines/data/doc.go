// Package data checks a new batch of tabular data before training: it is there, it fits the schema, it meets the quality spec, and it has not drifted from the reference.
package data
