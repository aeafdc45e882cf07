package kubetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/cache"
)

// Pinned versions of the binaries the control plane runs.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.7.0"
	KwokVersion       = "v0.8.0"
)

// errMissing marks a machine without the pinned binaries: tests fail in CI, skip elsewhere.
var errMissing = errors.New("kubetest needs the pinned Kubernetes, etcd and kwok binaries " +
	"(set FERRY_TOOL_KUBERNETES, FERRY_TOOL_ETCD and FERRY_TOOL_KWOK, e.g. with `testbed env`, " +
	"or build them into the ferry cache: tools/<name>-<version>-<hash>/)")

// errNoNetns marks a machine where the test binary could not get a network namespace.
var errNoNetns = errors.New("kubetest needs its own network namespace for the pod network " +
	"(run as root, or with CAP_SYS_ADMIN, and call kubetest.Main from TestMain)")

// Tools holds the paths of the binaries a control plane runs.
type Tools struct {
	KubeAPIServer, KubeControllerManager, KubeScheduler, Kubectl string
	Etcd, Kwok                                                   string
}

// FindTools locates the pinned binaries: each in the folder named by its environment
// variable (FERRY_TOOL_KUBERNETES, FERRY_TOOL_ETCD, FERRY_TOOL_KWOK), else in the newest
// complete folder <cache>/tools/<name>-<version>-*/ (see package cache).
func FindTools() (Tools, error) {
	k8s, err := toolDir("FERRY_TOOL_KUBERNETES", "kubernetes", KubernetesVersion)
	if err != nil {
		return Tools{}, err
	}
	etcd, err := toolDir("FERRY_TOOL_ETCD", "etcd", EtcdVersion)
	if err != nil {
		return Tools{}, err
	}
	kwok, err := toolDir("FERRY_TOOL_KWOK", "kwok", KwokVersion)
	if err != nil {
		return Tools{}, err
	}
	var t Tools
	for _, b := range []struct {
		dst       *string
		dir, name string
	}{
		{&t.KubeAPIServer, k8s, "kube-apiserver"},
		{&t.KubeControllerManager, k8s, "kube-controller-manager"},
		{&t.KubeScheduler, k8s, "kube-scheduler"},
		{&t.Kubectl, k8s, "kubectl"},
		{&t.Etcd, etcd, "etcd"},
		{&t.Kwok, kwok, "kwok"},
	} {
		if *b.dst, err = binary(b.dir, b.name); err != nil {
			return Tools{}, err
		}
	}
	return t, nil
}

func toolDir(env, name, version string) (string, error) {
	if dir := os.Getenv(env); dir != "" {
		return dir, nil
	}
	root, err := cache.Dir()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(root, "tools", name+"-"+version+"-*"))
	sort.Sort(sort.Reverse(sort.StringSlice(matches)))
	for _, m := range matches {
		// A folder still being built carries a suffix (".tmp", ".partial", …) after the hash.
		if fi, err := os.Stat(m); err == nil && fi.IsDir() && !strings.Contains(filepath.Base(m)[len(name+"-"+version+"-"):], ".") {
			return m, nil
		}
	}
	return "", fmt.Errorf("%w: no %s %s (%s unset, nothing in %s)", errMissing, name, version, env,
		filepath.Join(root, "tools", name+"-"+version+"-*"))
}

// binary finds name in dir or dir/bin and checks it is executable.
func binary(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, "bin", name)} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: %s not found in %s or %s/bin", errMissing, name, dir, dir)
}

// fail stops t: missing binaries or namespaces skip outside CI and fail in CI (CI set, and
// not "false" or "0"), so a CI machine without them cannot pass by skipping.
func fail(t testing.TB, err error) {
	t.Helper()
	if ci := strings.ToLower(os.Getenv("CI")); (errors.Is(err, errMissing) || errors.Is(err, errNoNetns)) &&
		(ci == "" || ci == "false" || ci == "0") {
		t.Skip(err)
	}
	t.Fatal(err)
}
