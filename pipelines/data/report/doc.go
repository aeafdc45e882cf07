// Package report holds the outcome of a data check and renders it as JSON, Markdown and a one-line summary.
package report
