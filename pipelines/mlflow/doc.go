// Package mlflow is a small MLflow tracking and model-registry client over MLflow's REST API,
// with typed errors, bounded retries that never duplicate a run or a model version, and
// credentials that never reach an error, a log line or a String().
package mlflow
