package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ferryml/ferry/pipelines/register"
)

// trainCheck checks a training output folder (register.CheckOutput): the
// gate behind `train … assert`. Exit 1 names every problem.
func trainCheck(_ context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ferry train check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	output := fs.String("output", "", "training output folder: model/, metrics.json, predictions.csv")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: ferry train check: %v", errUsage, err)
	}
	if *output == "" {
		return fmt.Errorf("%w: ferry train check: --output is required", errUsage)
	}
	if _, err := os.Stat(*output); err != nil {
		return fmt.Errorf("ferry train check: %w", err)
	}
	if err := register.CheckOutput(os.DirFS(*output)); err != nil {
		return checkFailed{err}
	}
	fmt.Fprintf(stdout, "training output %s is complete\n", *output)
	return nil
}
