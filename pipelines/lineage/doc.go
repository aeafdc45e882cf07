// Package lineage records where a model came from — commit, data, requirements, images, CI run — and writes that record as MLflow tags with a fixed "ferry.lineage." prefix.
package lineage
