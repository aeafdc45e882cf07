package layout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	t.Setenv("FERRY_CACHE", "/tmp/c")
	t.Setenv("FERRY_TESTBED_NAME", "")
	l, err := FromEnv()
	if err != nil || l.Cache != "/tmp/c" || l.Name != "ferry" {
		t.Fatalf("FromEnv() = %+v, %v", l, err)
	}
	if l.NetNS() != "ferry-ferry" || len(l.HostVeth()) > 15 {
		t.Errorf("names %s %s", l.NetNS(), l.HostVeth())
	}
	for _, bad := range []string{"Ferry", "a-b", "toolongname", "1x"} {
		t.Setenv("FERRY_TESTBED_NAME", bad)
		if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "FERRY_TESTBED_NAME") {
			t.Errorf("FromEnv(name %q) = %v, want an error", bad, err)
		}
	}
	t.Setenv("FERRY_TESTBED_NAME", "ci2")
	t.Setenv("FERRY_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/x")
	if l, err := FromEnv(); err != nil || l.Cache != "/x/ferry" || l.HostVeth() != "ci2-h" {
		t.Errorf("FromEnv() = %+v, %v", l, err)
	}
}

func TestClaim(t *testing.T) {
	l := Layout{Cache: filepath.Join(t.TempDir(), "c"), Name: "x"}
	if err := l.Claim(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Marker()); err != nil {
		t.Errorf("marker missing after Claim: %v", err)
	}
}
