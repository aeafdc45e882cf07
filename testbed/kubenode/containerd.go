package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// containerdSocket is where k3s puts its containerd's socket; `k3s ctr`
// and kubelet use it.
const containerdSocket = "/run/k3s/containerd/containerd.sock"

// cniBinDir is where Debian's containernetworking-plugins installs.
const cniBinDir = "/usr/lib/cni"

// containerdConfig renders containerd 1.6's config (version 2) for the CRI
// plugin kubelet talks to.
func containerdConfig(root, snapshotter, pauseImage, certsDir, auth string) string {
	q := strconv.Quote
	return fmt.Sprintf(`version = 2
root = %s
state = "/run/k3s/containerd"
oom_score = 0
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = %s

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %s
  # Root here lacks CAP_SYS_RESOURCE: without this, sandboxes die writing
  # oom_score_adj below the containerd's own.
  restrict_oom_score_adj = true
  enable_selinux = false

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = %s
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = %s
  conf_dir = "/etc/cni/net.d"

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = %s
%s`, q(root), q(containerdSocket), q(pauseImage), q(snapshotter), q(cniBinDir), q(certsDir), auth)
}

// chooseSnapshotter keeps overlayfs unless the containerd root is itself on
// overlayfs (a container's own file system), where overlay mounts fail:
// then the slower native snapshotter, with a warning.
func chooseSnapshotter(want, root string) (string, string) {
	if want != "overlayfs" {
		return want, ""
	}
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err == nil && st.Type == unix.OVERLAYFS_SUPER_MAGIC {
		return "native", fmt.Sprintf("%s is on overlayfs, where containerd's overlayfs snapshotter cannot work: using the native snapshotter (slower; mount a volume or tmpfs at the data dir for overlayfs)", root)
	}
	return want, ""
}

// startContainerd writes the registry and daemon configs, starts
// containerd, waits for its socket and imports the pause image.
func (n *node) startContainerd(ctx context.Context) error {
	root := filepath.Join(n.agentDir(), "containerd")
	certsDir := filepath.Join(n.agentDir(), "etc", "containerd", "certs.d")
	if err := os.MkdirAll(root, 0o711); err != nil {
		return fmt.Errorf("creating containerd root: %w", err)
	}
	snapshotter, warning := chooseSnapshotter(n.cfg.snapshotter, root)
	if warning != "" {
		n.sup.logf("warning: %s", warning)
	}
	regs, err := loadRegistries(n.cfg.registriesPath)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(certsDir); err != nil {
		return fmt.Errorf("clearing registry hosts folder: %w", err)
	}
	warnings, err := regs.writeHostsFiles(certsDir)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		n.sup.logf("warning: %s", w)
	}
	if len(regs.Mirrors)+len(regs.Configs) > 0 {
		n.sup.logf("registries: %d mirrors, %d configs from %s", len(regs.Mirrors), len(regs.Configs), n.cfg.registriesPath)
	}
	cfgPath := filepath.Join(n.agentDir(), "etc", "containerd", "config.toml")
	conf := containerdConfig(root, snapshotter, n.cfg.pauseImage, certsDir, regs.authTOML())
	if err := writeAtomic(cfgPath, []byte(conf), 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(containerdSocket), 0o711); err != nil {
		return fmt.Errorf("creating containerd state folder: %w", err)
	}
	if _, err := n.sup.start("containerd", []string{"containerd", "--config", cfgPath}, nil); err != nil {
		return err
	}
	err = n.sup.waitFor(ctx, "containerd", func() error {
		c, err := net.Dial("unix", containerdSocket)
		if err == nil {
			c.Close()
		}
		return err
	})
	if err != nil {
		return err
	}
	tarPath := filepath.Join(n.agentDir(), "images", "pause.tar")
	if err := writePauseImage(tarPath, n.cfg.pauseImage); err != nil {
		return err
	}
	out, err := n.sup.run(ctx, "ctr", "--address", containerdSocket, "--namespace", "k8s.io",
		"images", "import", "--snapshotter", snapshotter, tarPath)
	if err != nil {
		return fmt.Errorf("importing pause image %s: %w: %s", n.cfg.pauseImage, err, out)
	}
	n.sup.logf("pause image %s imported", n.cfg.pauseImage)
	return nil
}
