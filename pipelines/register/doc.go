// Package register logs a training output to MLflow and registers it as a model version with its full lineage, once per set of inputs however often it runs.
package register
