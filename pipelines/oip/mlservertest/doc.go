// Package mlservertest runs a real MLServer (pinned by models/requirements/serve.lock, in
// a cached Python venv) serving the trained diamonds model, for Go tests of Open Inference
// Protocol clients.
package mlservertest
