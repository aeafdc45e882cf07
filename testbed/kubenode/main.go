// Command kubenode is a single-node Kubernetes cluster in one container: a
// stand-in for the rancher/k3s image that runs etcd, the control plane,
// containerd, kubelet and kube-proxy as supervised child processes, so the
// test bed can start a whole cluster with a real node as one Dagger service.
//
// Installed as /bin/k3s it understands a compatible subset of k3s:
//
//	k3s server [--write-kubeconfig-mode 644] [--tls-san NAME]... [--disable X]...
//	k3s kubectl ARGS...   kubectl with the admin kubeconfig
//	k3s ctr ARGS...       ctr against the node's containerd (namespace k8s.io)
//
// The same binary is the pod sandbox ("pause") and a tiny HTTP server
// ("serve") for smoke tests; both live in the pause image it imports.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// version is what `k3s --version` prints: the Kubernetes release the image
// carries, marked as this stand-in.
const version = "v1.37.2+kubenode"

func main() {
	os.Exit(run(os.Args))
}

func run(args []string) int {
	if len(args) < 2 {
		if filepath.Base(args[0]) == "pause" {
			return pause()
		}
		usage()
		return 2
	}
	switch args[1] {
	case "server":
		return serverMain(args[2:])
	case "pause":
		return pause()
	case "serve":
		return serve(args[2:])
	case "fetch":
		return fetch(args[2:])
	case "kubectl":
		return execTool("kubectl", args[2:], "KUBECONFIG="+envOr("KUBECONFIG", defaultKubeconfig))
	case "ctr":
		return execTool("ctr", args[2:],
			"CONTAINERD_ADDRESS="+envOr("CONTAINERD_ADDRESS", containerdSocket),
			"CONTAINERD_NAMESPACE="+envOr("CONTAINERD_NAMESPACE", "k8s.io"))
	case "--version", "-v", "version":
		fmt.Printf("k3s version %s (kubenode)\n", version)
		return 0
	case "--help", "-h", "help":
		usage()
		return 0
	case "agent":
		fmt.Fprintln(os.Stderr, "k3s agent: not supported: kubenode runs one server that is also the node; use `k3s server`")
		return 2
	}
	if filepath.Base(args[0]) == "pause" {
		return pause()
	}
	fmt.Fprintf(os.Stderr, "k3s: unknown command %q\n", args[1])
	usage()
	return 2
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: k3s COMMAND [ARGS]

commands:
  server    run the control plane and the node (see README: k3s flags understood)
  kubectl   run kubectl with the admin kubeconfig
  ctr       run ctr against the node's containerd
  pause     be a pod sandbox: sleep until signalled, reaping children
  serve     serve HTTP on --addr (default :8080), for smoke tests
  fetch     GET a URL and print the body, for checks from inside pods
  version   print the version
`)
}

// execTool replaces this process with a tool from PATH, adding env.
func execTool(name string, args []string, env ...string) int {
	path, err := lookPath(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "k3s %s: %v\n", name, err)
		return 1
	}
	err = syscall.Exec(path, append([]string{name}, args...), append(os.Environ(), env...))
	fmt.Fprintf(os.Stderr, "k3s %s: running %s: %v\n", name, path, err)
	return 1
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
