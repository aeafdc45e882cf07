// Package kubetest runs a real Kubernetes control plane for Go tests: etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler from the pinned
// binaries, with kwok playing the kubelet on fake nodes. Pods get addresses on
// a pod network that exists only inside the test binary's own network
// namespace (see Main), where PodServer answers for every pod, so the API
// server's service and pod proxies reach real HTTP handlers.
//
// kwok runs with stages of our own (stages.yaml): pods become Ready at once,
// unless the label ferry.dev/fault asks for a failure (see the Fault constants).
package kubetest
