// Package quality holds the data-quality spec of a data set and checks a batch against it: nulls, ranges, allowed values, duplicates, class balance, row count and drift from the reference.
package quality
