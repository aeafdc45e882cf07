// Package sample writes larger data files by resampling the rows of a real one, for benchmarks.
package sample
