package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Paths fixed by the k3s contract.
const (
	defaultKubeconfig = "/etc/rancher/k3s/k3s.yaml"
	defaultConfigFile = "/etc/rancher/k3s/config.yaml"
	defaultRegistries = "/etc/rancher/k3s/registries.yaml"
	defaultDataDir    = "/var/lib/rancher/k3s"
)

// config is what `k3s server` was asked for, defaults applied.
type config struct {
	dataDir          string
	nodeName         string
	nodeIP           string
	advertiseAddress string
	bindAddress      string
	httpsPort        int
	tlsSANs          []string
	kubeconfigPath   string
	kubeconfigMode   os.FileMode
	clusterCIDR      string
	serviceCIDR      string
	clusterDNS       string
	clusterDomain    string
	registriesPath   string
	snapshotter      string
	pauseImage       string
	disableKubeProxy bool
	disable          []string
	// extraArgs holds --<component>-arg values, by component binary name.
	extraArgs map[string][]string
	warnings  []string
}

func defaultConfig() *config {
	return &config{
		dataDir:        defaultDataDir,
		bindAddress:    "0.0.0.0",
		httpsPort:      6443,
		kubeconfigPath: defaultKubeconfig,
		kubeconfigMode: 0o600,
		clusterCIDR:    "10.42.0.0/16",
		serviceCIDR:    "10.43.0.0/16",
		clusterDNS:     "10.43.0.10",
		clusterDomain:  "cluster.local",
		registriesPath: defaultRegistries,
		snapshotter:    "overlayfs",
		pauseImage:     "registry.k8s.io/pause:3.10",
		extraArgs:      map[string][]string{},
	}
}

type flagKind int

const (
	kindString flagKind = iota
	kindList            // repeatable; commas split values
	kindArgs            // repeatable; no splitting (component arguments)
	kindBool
)

type flagDef struct {
	kind flagKind
	set  func(c *config, v string) error
}

func str(dst func(*config) *string) flagDef {
	return flagDef{kindString, func(c *config, v string) error { *dst(c) = v; return nil }}
}

func compArgs(bin string) flagDef {
	return flagDef{kindArgs, func(c *config, v string) error {
		c.extraArgs[bin] = append(c.extraArgs[bin], "--"+strings.TrimPrefix(v, "--"))
		return nil
	}}
}

// ignored are k3s flags that ask for something this node never does or
// does anyway (no packaged add-ons, no flannel, one node): accepted quietly.
var ignored = map[string]flagKind{
	"disable-helm-controller": kindBool, "disable-network-policy": kindBool,
	"disable-cloud-controller": kindBool, "flannel-backend": kindString,
	"egress-selector-mode": kindString, "token": kindString, "agent-token": kindString,
	"cluster-init": kindBool, "debug": kindBool, "write-kubeconfig-group": kindString,
	"selinux": kindBool, "prefer-bundled-bin": kindBool, "secrets-encryption": kindBool,
}

var flagDefs = map[string]flagDef{
	"data-dir":                    str(func(c *config) *string { return &c.dataDir }),
	"node-name":                   str(func(c *config) *string { return &c.nodeName }),
	"node-ip":                     str(func(c *config) *string { return &c.nodeIP }),
	"advertise-address":           str(func(c *config) *string { return &c.advertiseAddress }),
	"bind-address":                str(func(c *config) *string { return &c.bindAddress }),
	"write-kubeconfig":            str(func(c *config) *string { return &c.kubeconfigPath }),
	"cluster-cidr":                str(func(c *config) *string { return &c.clusterCIDR }),
	"service-cidr":                str(func(c *config) *string { return &c.serviceCIDR }),
	"cluster-dns":                 str(func(c *config) *string { return &c.clusterDNS }),
	"cluster-domain":              str(func(c *config) *string { return &c.clusterDomain }),
	"private-registry":            str(func(c *config) *string { return &c.registriesPath }),
	"snapshotter":                 str(func(c *config) *string { return &c.snapshotter }),
	"pause-image":                 str(func(c *config) *string { return &c.pauseImage }),
	"kube-apiserver-arg":          compArgs("kube-apiserver"),
	"kube-controller-arg":         compArgs("kube-controller-manager"),
	"kube-controller-manager-arg": compArgs("kube-controller-manager"),
	"kube-scheduler-arg":          compArgs("kube-scheduler"),
	"kubelet-arg":                 compArgs("kubelet"),
	"kube-proxy-arg":              compArgs("kube-proxy"),
	"etcd-arg":                    compArgs("etcd"),
	"https-listen-port": {kindString, func(c *config, v string) error {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("want a port number 1-65535")
		}
		c.httpsPort = p
		return nil
	}},
	"write-kubeconfig-mode": {kindString, func(c *config, v string) error {
		m, err := strconv.ParseUint(v, 8, 32)
		if err != nil || m > 0o777 {
			return fmt.Errorf("want an octal file mode such as 644")
		}
		c.kubeconfigMode = os.FileMode(m)
		return nil
	}},
	"tls-san": {kindList, func(c *config, v string) error { c.tlsSANs = append(c.tlsSANs, v); return nil }},
	"disable": {kindList, func(c *config, v string) error { c.disable = append(c.disable, v); return nil }},
	"disable-kube-proxy": {kindBool, func(c *config, v string) error {
		b, err := strconv.ParseBool(v)
		c.disableKubeProxy = b
		return err
	}},
}

// shortFlags are the k3s one-letter aliases.
var shortFlags = map[string]string{"d": "data-dir", "o": "write-kubeconfig"}

// parseServerArgs reads `k3s server` arguments (after the config file's,
// which come first so the command line wins) in urfave/cli style:
// --name value, --name=value, -o value; booleans take no value.
func parseServerArgs(args []string) (*config, error) {
	c := defaultConfig()
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" || arg == "--" {
			return nil, fmt.Errorf("argument %q: k3s server takes only flags (--name value or --name=value)", arg)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if long, ok := shortFlags[name]; ok {
			name = long
		}
		def, known := flagDefs[name]
		kind := def.kind
		if !known {
			k, ok := ignored[name]
			kind = k
			if !ok {
				kind = kindString // guess: takes a value when one follows
			}
		}
		if !hasValue {
			switch {
			case kind == kindBool:
				value = "true"
			case i+1 < len(args) && !strings.HasPrefix(args[i+1], "-"):
				i++
				value = args[i]
			case known:
				return nil, fmt.Errorf("flag --%s needs a value (--%s=VALUE)", name, name)
			default:
				value = "true"
			}
		}
		if !known {
			if _, ok := ignored[name]; !ok {
				c.warnings = append(c.warnings, fmt.Sprintf("flag --%s is not supported by kubenode: ignored", name))
			}
			continue
		}
		values := []string{value}
		if kind == kindList {
			values = strings.Split(value, ",")
		}
		for _, v := range values {
			if err := def.set(c, strings.TrimSpace(v)); err != nil {
				return nil, fmt.Errorf("flag --%s=%s: %w", name, value, err)
			}
		}
	}
	return c, c.validate()
}

func (c *config) validate() error {
	for _, f := range []struct{ name, cidr string }{{"cluster-cidr", c.clusterCIDR}, {"service-cidr", c.serviceCIDR}} {
		if ip, _, err := net.ParseCIDR(f.cidr); err != nil || ip.To4() == nil {
			return fmt.Errorf("flag --%s=%s: want one IPv4 CIDR such as 10.42.0.0/16", f.name, f.cidr)
		}
	}
	for _, f := range []struct{ name, ip string }{{"cluster-dns", c.clusterDNS}, {"node-ip", c.nodeIP},
		{"advertise-address", c.advertiseAddress}, {"bind-address", c.bindAddress}} {
		if f.ip != "" && net.ParseIP(f.ip) == nil {
			return fmt.Errorf("flag --%s=%s: want an IP address", f.name, f.ip)
		}
	}
	if c.snapshotter != "overlayfs" && c.snapshotter != "native" {
		return fmt.Errorf("flag --snapshotter=%s: want overlayfs or native", c.snapshotter)
	}
	if !strings.HasPrefix(c.dataDir, "/") {
		return fmt.Errorf("flag --data-dir=%s: want an absolute path", c.dataDir)
	}
	return nil
}

// configFileArgs turns a k3s config file (flag names as keys) into
// arguments. A missing file gives none.
func configFileArgs(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading k3s config file: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: decoding YAML: %w", path, err)
	}
	var args []string
	for key, v := range m {
		switch v := v.(type) {
		case []any:
			for _, item := range v {
				args = append(args, fmt.Sprintf("--%s=%v", key, item))
			}
		case map[string]any:
			return nil, fmt.Errorf("%s: key %q: want a string, number, boolean or list, not a map", path, key)
		default:
			args = append(args, fmt.Sprintf("--%s=%v", key, v))
		}
	}
	return args, nil
}
