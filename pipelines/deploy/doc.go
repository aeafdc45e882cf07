// Package deploy rolls a model server out to Kubernetes with client-go and undoes it
// when it fails: verify the image, take the namespace's deploy lock, snapshot what is
// there, server-side apply the rendered objects, wait for the rollout, smoke-test through
// the API server's service proxy, and on any failure restore exactly the previous state.
// A canary strategy runs the new image beside the stable one, compares them over an
// analysis window, then promotes or removes it. Deploy returns a Report (Markdown and
// JSON) of every step.
package deploy
