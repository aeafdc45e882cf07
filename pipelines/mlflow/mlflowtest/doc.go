// Package mlflowtest runs a real MLflow tracking server (pinned by requirements.lock, in a
// cached Python venv) for Go tests, with a SQLite store and the artifact proxy on.
package mlflowtest
