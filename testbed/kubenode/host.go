package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/sys/unix"
)

// kubeletSysctls are the kernel settings kubelet rewrites at start
// (pkg/kubelet/cm setupKernelTunables) with the values it wants. They are
// not namespaced: written from a privileged container they would change the
// whole machine.
var kubeletSysctls = map[string]string{
	"vm/overcommit_memory":      "1",
	"vm/panic_on_oom":           "0",
	"kernel/panic":              "10",
	"kernel/panic_on_oops":      "1",
	"kernel/keys/root_maxkeys":  "1000000",
	"kernel/keys/root_maxbytes": "25000000",
}

// shieldSysctls bind-mounts a small file holding kubelet's wanted value
// over each of those /proc/sys entries that differs, in this mount
// namespace only: kubelet then reads its value and the machine keeps its own.
func shieldSysctls(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating sysctl shield folder: %w", err)
	}
	var shielded []string
	for key, want := range kubeletSysctls {
		target := filepath.Join("/proc/sys", key)
		cur, err := os.ReadFile(target)
		if err != nil || strings.TrimSpace(string(cur)) == want {
			continue // absent here, or already what kubelet wants
		}
		file := filepath.Join(dir, strings.ReplaceAll(key, "/", "."))
		if err := os.WriteFile(file, []byte(want+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("writing sysctl shield %s: %w", key, err)
		}
		if err := unix.Mount(file, target, "", unix.MS_BIND, ""); err != nil {
			return nil, fmt.Errorf("binding sysctl shield over %s: %w (the node needs CAP_SYS_ADMIN: run the container with insecure root capabilities)", target, err)
		}
		shielded = append(shielded, strings.ReplaceAll(key, "/", "."))
	}
	return shielded, nil
}

// makeRootShared lets mounts kubelet makes under /var/lib/kubelet reach the
// containers that use them (mount propagation), inside this namespace.
func makeRootShared() error {
	if err := unix.Mount("", "/", "", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("making / a shared mount: %w", err)
	}
	return nil
}

// ensureKmsg gives kubelet's OOM watcher a /dev/kmsg to read where the
// container has none (as kind does).
func ensureKmsg() (bool, error) {
	if _, err := os.Stat("/dev/kmsg"); err == nil {
		return false, nil
	}
	if err := os.Symlink("/dev/console", "/dev/kmsg"); err != nil {
		return false, fmt.Errorf("linking /dev/kmsg to /dev/console: %w", err)
	}
	return true, nil
}

// checkCgroups fails early, with the fix, where kubelet could not create
// pod cgroups; on cgroup v2 it moves this container's processes out of the
// root cgroup so controllers can be delegated to kubelet's (as k3s does).
func checkCgroups() (string, error) {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return "", fmt.Errorf("reading /sys/fs/cgroup: %w (mount the cgroup file system)", err)
	}
	if st.Type != unix.CGROUP2_SUPER_MAGIC {
		if err := unix.Access("/sys/fs/cgroup/memory", unix.W_OK); err != nil {
			return "", fmt.Errorf("cgroup v1 memory controller at /sys/fs/cgroup/memory is not writable: %w (run the container with insecure root capabilities)", err)
		}
		return "v1", nil
	}
	if err := unix.Access("/sys/fs/cgroup", unix.W_OK); err != nil {
		return "", fmt.Errorf("/sys/fs/cgroup is not writable: %w (run the container with insecure root capabilities)", err)
	}
	return "v2", evacuateRootCgroup()
}

func evacuateRootCgroup() error {
	procs, err := os.ReadFile("/sys/fs/cgroup/cgroup.procs")
	if err != nil || len(strings.TrimSpace(string(procs))) == 0 {
		return nil
	}
	if err := os.MkdirAll("/sys/fs/cgroup/init", 0o755); err != nil {
		return fmt.Errorf("creating cgroup /init: %w", err)
	}
	for _, pid := range strings.Fields(string(procs)) {
		// Kernel threads and exited processes refuse; that is fine.
		_ = os.WriteFile("/sys/fs/cgroup/init/cgroup.procs", []byte(pid), 0o644)
	}
	ctrls, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers")
	if err != nil {
		return fmt.Errorf("reading cgroup controllers: %w", err)
	}
	for _, c := range strings.Fields(string(ctrls)) {
		_ = os.WriteFile("/sys/fs/cgroup/cgroup.subtree_control", []byte("+"+c), 0o644)
	}
	return nil
}

// defaultRouteIP is the IPv4 address of the interface holding the default
// route (the container's eth0), else of any non-loopback interface.
func defaultRouteIP() (string, error) {
	if iface := defaultRouteInterface(); iface != "" {
		if ip := interfaceIPv4(iface); ip != "" {
			return ip, nil
		}
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return "", fmt.Errorf("listing network interfaces: %w", err)
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagLoopback == 0 && i.Flags&net.FlagUp != 0 {
			if ip := interfaceIPv4(i.Name); ip != "" {
				return ip, nil
			}
		}
	}
	return "", fmt.Errorf("no network interface with an IPv4 address besides loopback: kubelet needs one (pass --node-ip)")
}

func defaultRouteInterface() string {
	f, err := os.Open("/proc/net/route")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 2 && fields[1] == "00000000" && fields[0] != "Iface" {
			return fields[0]
		}
	}
	return ""
}

func interfaceIPv4(name string) string {
	iface, err := net.InterfaceByName(name)
	if err != nil {
		return ""
	}
	addrs, _ := iface.Addrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	return ""
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// nodeName is --node-name, else $K3S_NODE_NAME, else the host name, in
// lower case; it must be a DNS subdomain to name a Node.
func nodeName(flag string) (string, error) {
	n := flag
	if n == "" {
		n = os.Getenv("K3S_NODE_NAME")
	}
	if n == "" {
		h, err := os.Hostname()
		if err != nil {
			return "", fmt.Errorf("reading host name for the node name: %w (pass --node-name)", err)
		}
		n = h
	}
	n = strings.ToLower(n)
	if len(n) > 253 || !dnsLabel.MatchString(n) {
		return "", fmt.Errorf("node name %q is not a DNS subdomain (lower-case letters, digits, '-' and '.'): pass --node-name", n)
	}
	return n, nil
}
