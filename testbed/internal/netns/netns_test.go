package netns

import (
	"net/netip"
	"testing"
)

func TestPickSubnet(t *testing.T) {
	p := func(s string) netip.Prefix { return netip.MustParsePrefix(s) }
	tests := []struct {
		name string
		used []netip.Prefix
		want string
	}{
		{"empty host", nil, "10.213.0.0/30"},
		{"first taken", []netip.Prefix{p("10.213.0.0/30")}, "10.213.0.4/30"},
		{"a /24 taken", []netip.Prefix{p("10.213.0.0/24")}, "10.213.1.0/30"},
		{"host route", []netip.Prefix{p("10.213.0.1/32"), p("10.213.0.6/32")}, "10.213.0.8/30"},
		{"unrelated", []netip.Prefix{p("192.0.2.0/24"), p("10.0.0.0/16")}, "10.213.0.0/30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PickSubnet(tt.used)
			if err != nil || got.String() != tt.want {
				t.Errorf("PickSubnet(%v) = %v, %v; want %s", tt.used, got, err, tt.want)
			}
		})
	}
	if _, err := PickSubnet([]netip.Prefix{p("10.0.0.0/8")}); err == nil {
		t.Error("PickSubnet(10.0.0.0/8 used) succeeded, want an error")
	}
}

func TestAddresses(t *testing.T) {
	l := Link{NS: "ferry-x", Subnet: netip.MustParsePrefix("10.213.0.4/30")}
	if l.HostIP().String() != "10.213.0.5" || l.PeerIP().String() != "10.213.0.6" {
		t.Errorf("HostIP, PeerIP = %s, %s; want 10.213.0.5, 10.213.0.6", l.HostIP(), l.PeerIP())
	}
	if l.Path() != "/run/netns/ferry-x" {
		t.Errorf("Path() = %s", l.Path())
	}
}
