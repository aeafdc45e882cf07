// Package netns gives the test bed a private network namespace joined to the
// host by one veth pair, with iproute2. Nothing else on the host changes: no
// resolv.conf, no iptables, no default route; only the link-local route of
// the pair's own /30 appears while it exists.
package netns

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
)

// Link is a network namespace and the veth pair joining it to the host.
type Link struct {
	NS     string       `json:"ns"`     // namespace name (/run/netns/NS)
	HostIf string       `json:"hostIf"` // host end
	PeerIf string       `json:"peerIf"` // namespace end
	Subnet netip.Prefix `json:"subnet"` // a /30: .1 host, .2 namespace
}

// HostIP is the address of the host end: relays listen there.
func (l Link) HostIP() netip.Addr { return l.Subnet.Addr().Next() }

// PeerIP is the address of the namespace end: registries listen there.
func (l Link) PeerIP() netip.Addr { return l.HostIP().Next() }

// Path is the namespace's file, for nsenter --net=PATH.
func (l Link) Path() string { return "/run/netns/" + l.NS }

// avoid holds ranges the test bed must not use: the Dagger engine's default
// container network and the usual Kubernetes pod and service ranges.
var avoid = []netip.Prefix{
	netip.MustParsePrefix("10.87.0.0/16"),
	netip.MustParsePrefix("10.96.0.0/12"),
	netip.MustParsePrefix("10.244.0.0/16"),
}

// PickSubnet returns the first /30 of 10.213.0.0/16 that overlaps nothing in
// used nor the ranges the test bed's own networks need.
func PickSubnet(used []netip.Prefix) (netip.Prefix, error) {
	base := netip.MustParseAddr("10.213.0.0").As4()
	for i := 0; i < 256*64; i++ {
		a := base
		a[2], a[3] = byte(i/64), byte(i%64*4)
		p := netip.PrefixFrom(netip.AddrFrom4(a), 30)
		if !overlapsAny(p, used) && !overlapsAny(p, avoid) {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("no free /30 in 10.213.0.0/16: every one overlaps an address or route of this host")
}

func overlapsAny(p netip.Prefix, set []netip.Prefix) bool {
	for _, q := range set {
		if p.Overlaps(q) {
			return true
		}
	}
	return false
}

// UsedPrefixes lists the IPv4 addresses and routes the host has now.
func UsedPrefixes(ctx context.Context) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var addrs []struct {
		AddrInfo []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := ipJSON(ctx, &addrs, "-4", "addr", "show"); err != nil {
		return nil, err
	}
	for _, a := range addrs {
		for _, ai := range a.AddrInfo {
			if p, err := netip.ParsePrefix(fmt.Sprintf("%s/%d", ai.Local, ai.PrefixLen)); err == nil {
				out = append(out, p.Masked())
			}
		}
	}
	var routes []struct {
		Dst string `json:"dst"`
	}
	if err := ipJSON(ctx, &routes, "-4", "route", "show", "table", "all"); err != nil {
		return nil, err
	}
	for _, r := range routes {
		if r.Dst == "" || r.Dst == "default" {
			continue
		}
		if !strings.Contains(r.Dst, "/") {
			r.Dst += "/32"
		}
		if p, err := netip.ParsePrefix(r.Dst); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// Up creates the namespace and the pair and addresses them. It is
// idempotent: parts that already exist as wanted are kept.
func Up(ctx context.Context, l Link) error {
	if !Exists(l) {
		if err := ip(ctx, "netns", "add", l.NS); err != nil {
			return fmt.Errorf("creating network namespace %s: %w", l.NS, err)
		}
	}
	if !linkExists(ctx, "", l.HostIf) {
		// A half-made pair (peer still on the host) is removed first.
		_ = ip(ctx, "link", "del", l.PeerIf)
		if err := ip(ctx, "link", "add", l.HostIf, "type", "veth", "peer", "name", l.PeerIf); err != nil {
			return fmt.Errorf("creating veth pair %s/%s: %w", l.HostIf, l.PeerIf, err)
		}
	}
	if linkExists(ctx, "", l.PeerIf) {
		if err := ip(ctx, "link", "set", l.PeerIf, "netns", l.NS); err != nil {
			return fmt.Errorf("moving %s into %s: %w", l.PeerIf, l.NS, err)
		}
	}
	host := netip.PrefixFrom(l.HostIP(), 30).String()
	peer := netip.PrefixFrom(l.PeerIP(), 30).String()
	steps := [][]string{
		{"addr", "replace", host, "dev", l.HostIf},
		{"link", "set", l.HostIf, "up"},
		{"-n", l.NS, "link", "set", "lo", "up"},
		{"-n", l.NS, "addr", "replace", peer, "dev", l.PeerIf},
		{"-n", l.NS, "link", "set", l.PeerIf, "up"},
		{"-n", l.NS, "route", "replace", "default", "via", l.HostIP().String()},
	}
	for _, s := range steps {
		if err := ip(ctx, s...); err != nil {
			return fmt.Errorf("configuring %s: %w", l.NS, err)
		}
	}
	return nil
}

// Down removes the pair and the namespace. Missing parts are not errors.
func Down(ctx context.Context, l Link) error {
	if linkExists(ctx, "", l.HostIf) {
		if err := ip(ctx, "link", "del", l.HostIf); err != nil {
			return fmt.Errorf("removing veth %s: %w", l.HostIf, err)
		}
	}
	if Exists(l) {
		if err := ip(ctx, "netns", "del", l.NS); err != nil {
			return fmt.Errorf("removing network namespace %s: %w", l.NS, err)
		}
	}
	return nil
}

// Exists reports whether the namespace exists.
func Exists(l Link) bool {
	_, err := os.Stat(l.Path())
	return err == nil
}

func linkExists(ctx context.Context, ns, name string) bool {
	args := []string{"link", "show", name}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	return exec.CommandContext(ctx, "ip", args...).Run() == nil
}

func ip(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func ipJSON(ctx context.Context, v any, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", append([]string{"-j"}, args...)...).Output()
	if err != nil {
		return fmt.Errorf("ip -j %s: %w", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("reading ip -j %s: %w", strings.Join(args, " "), err)
	}
	return nil
}
