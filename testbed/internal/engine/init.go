package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Binary is the engine inside its root.
const Binary = "/usr/local/bin/dagger-engine"

// Root describes the engine's file system; Init assembles it.
type Root struct {
	Lower   string   `json:"lower"`   // cached, read-only root from Debian packages
	Upper   string   `json:"upper"`   // overlay upper and work live here
	Mount   string   `json:"mount"`   // where the overlay is mounted before pivot_root
	State   string   `json:"state"`   // bind-mounted at /var/lib/dagger
	Socket  string   `json:"socket"`  // bind-mounted at /run/dagger
	Content string   `json:"content"` // bind-mounted at the built-in content dir
	Config  string   `json:"config"`  // bind-mounted at /etc/dagger
	Resolv  string   `json:"resolv"`  // the engine's /etc/resolv.conf
	Env     []string `json:"env"`
}

// InitArgs returns the arguments that make `testbed __engine-init` run r.
func (r Root) InitArgs() ([]string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return []string{"__engine-init", string(b)}, nil
}

// Init runs as PID 1 of fresh mount and PID namespaces inside the test bed's
// network namespace: it mounts the engine's root, pivots into it and becomes
// the engine. It returns only on failure.
func Init(arg string) error {
	var r Root
	if err := json.Unmarshal([]byte(arg), &r); err != nil {
		return fmt.Errorf("engine init: reading arguments: %w", err)
	}
	if err := r.mountAll(); err != nil {
		return fmt.Errorf("engine init: %w", err)
	}
	if err := pivot(r.Mount); err != nil {
		return fmt.Errorf("engine init: %w", err)
	}
	args := []string{Binary, "--config", "/etc/dagger/engine.toml"}
	return syscall.Exec(Binary, args, r.Env)
}

type mount struct {
	source, target, fstype string
	flags                  uintptr
	data                   string
}

func (r Root) mountAll() error {
	// Nothing done here may reach the host's mount table.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / private: %w", err)
	}
	work := filepath.Join(r.Upper, "work")
	upper := filepath.Join(r.Upper, "upper")
	for _, d := range []string{work, upper, r.Mount} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	m := r.Mount
	ms := []mount{
		{"overlay", m, "overlay", 0, fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", r.Lower, upper, work)},
		{"proc", m + "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"sysfs", m + "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"/sys/fs/cgroup", m + "/sys/fs/cgroup", "", unix.MS_BIND | unix.MS_REC, ""},
		{"/dev", m + "/dev", "", unix.MS_BIND | unix.MS_REC, ""},
		{"tmpfs", m + "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=755"},
		{"tmpfs", m + "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
		{r.State, m + "/var/lib/dagger", "", unix.MS_BIND, ""},
		{r.Socket, m + "/run/dagger", "", unix.MS_BIND, ""},
		{r.Content, m + "/usr/local/share/dagger/content", "", unix.MS_BIND, ""},
		{r.Config, m + "/etc/dagger", "", unix.MS_BIND, ""},
		{r.Resolv, m + "/etc/resolv.conf", "", unix.MS_BIND, ""},
	}
	for i, x := range ms {
		if i > 0 { // the overlay provides the mount points of the rest
			if err := mountPoint(x); err != nil {
				return err
			}
		}
		if err := unix.Mount(x.source, x.target, x.fstype, x.flags, x.data); err != nil {
			return fmt.Errorf("mounting %s on %s: %w", x.source, x.target, err)
		}
	}
	return nil
}

func mountPoint(x mount) error {
	if fi, err := os.Stat(x.source); err == nil && !fi.IsDir() {
		if _, err := os.Stat(x.target); os.IsNotExist(err) {
			return os.WriteFile(x.target, nil, 0o644)
		}
		return nil
	}
	return os.MkdirAll(x.target, 0o755)
}

// pivot makes root the process's / and drops the old root.
func pivot(root string) error {
	old := filepath.Join(root, ".oldroot")
	if err := os.MkdirAll(old, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(root, old); err != nil {
		return fmt.Errorf("pivot_root into %s: %w", root, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/.oldroot", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	return os.Remove("/.oldroot")
}
