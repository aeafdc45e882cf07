// Package table reads CSV and Parquet files into typed, column-oriented tables.
package table
