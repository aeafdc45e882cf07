package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ferryml/ferry/ci/internal/dagger"
	"github.com/ferryml/ferry/pipelines/data/report"
)

// CheckData checks a new batch of data before training: that it can be
// read, fits the declared schema, meets the quality spec, and has not
// drifted from the reference set. The result holds the report; call
// `assert` to fail on any violation.
func (m *Ferry) CheckData(
	ctx context.Context,
	// Folder with the data contract: schema.yaml, quality.yaml and the
	// reference set.
	// +defaultPath="/models/data"
	data *dagger.Directory,
	// The new batch (CSV or Parquet). Default: batch-001.csv in --data.
	// +optional
	batch *dagger.File,
	// The new batch as an http(s):// or s3:// URI instead of a file.
	// +optional
	batchUrl string,
	// The reference set: a file name inside --data, or a URI.
	// +default="reference.csv"
	reference string,
	// S3-compatible endpoint for s3:// URIs. Default: AWS.
	// +optional
	s3Endpoint string,
	// S3 access key ID for s3:// URIs.
	// +optional
	s3AccessKeyId *dagger.Secret,
	// S3 secret access key for s3:// URIs.
	// +optional
	s3SecretAccessKey *dagger.Secret,
) (*DataCheck, error) {
	box, err := m.toolbox()
	if err != nil {
		return nil, err
	}
	box = box.WithDirectory("/data", data)
	batchArg := "/data/batch-001.csv"
	switch {
	case batch != nil && batchUrl != "":
		return nil, fmt.Errorf("checking data: give --batch or --batch-url, not both")
	case batch != nil:
		name, err := batch.Name(ctx)
		if err != nil {
			return nil, fmt.Errorf("checking data: reading the batch's name: %w", err)
		}
		batchArg = "/batch/" + name
		box = box.WithMountedFile(batchArg, batch)
	case batchUrl != "":
		batchArg = batchUrl
	}
	ref := reference
	if !strings.Contains(ref, "://") {
		ref = "/data/" + ref
	}
	args := []string{"ferry", "data", "check",
		"--schema", "/data/schema.yaml", "--quality", "/data/quality.yaml",
		"--reference", ref, "--batch", batchArg, "--out", "/report"}
	if s3Endpoint != "" {
		args = append(args, "--s3-endpoint", s3Endpoint)
	}
	if s3AccessKeyId != nil {
		box = box.WithSecretVariable("FERRY_S3_ACCESS_KEY_ID", s3AccessKeyId)
	}
	if s3SecretAccessKey != nil {
		box = box.WithSecretVariable("FERRY_S3_SECRET_ACCESS_KEY", s3SecretAccessKey)
	}
	return &DataCheck{Reports: box.WithExec(args).Directory("/report")}, nil
}

// DataCheck is the outcome of CheckData.
type DataCheck struct {
	// The report folder: report.md, report.json and summary.txt.
	Reports *dagger.Directory
}

// Report returns the report in Markdown: every violation with its column,
// rule, observed value and limit, and the drift statistics.
func (c *DataCheck) Report() *dagger.File { return c.Reports.File("report.md") }

// Json returns the report as JSON, for machines.
func (c *DataCheck) Json() *dagger.File { return c.Reports.File("report.json") }

// Summary returns one line: passed, or how many rules broke and which.
func (c *DataCheck) Summary(ctx context.Context) (string, error) {
	s, err := c.Reports.File("summary.txt").Contents(ctx)
	return strings.TrimSpace(s), err
}

// Assert fails when any rule was broken, naming every violation.
func (c *DataCheck) Assert(ctx context.Context) error {
	js, err := c.Reports.File("report.json").Contents(ctx)
	if err != nil {
		return err
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		return fmt.Errorf("reading the data report: %w", err)
	}
	return rep.Err()
}
