package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ferryml/ferry/testbed/internal/daemon"
	"github.com/ferryml/ferry/testbed/internal/engine"
	"github.com/ferryml/ferry/testbed/internal/registry"
	"github.com/ferryml/ferry/testbed/internal/relay"
)

// relayArgs is what `testbed __relay` is started with.
type relayArgs struct {
	Listen   string `json:"listen"`
	Ready    string `json:"ready"`
	Token    string `json:"token"`
	GoProxy  string `json:"goproxy"`
	PyPI     string `json:"pypi"`
	CacheDir string `json:"cacheDir"`
}

// runRelay is the relay process: it listens, writes the address it got to
// the ready file, and serves until killed.
func runRelay(arg string) error {
	var a relayArgs
	if err := json.Unmarshal([]byte(arg), &a); err != nil {
		return fmt.Errorf("relay: reading arguments: %w", err)
	}
	gp, err := url.Parse(a.GoProxy)
	if err != nil {
		return fmt.Errorf("relay: Go proxy URL: %w", err)
	}
	pp, err := url.Parse(a.PyPI)
	if err != nil {
		return fmt.Errorf("relay: package index URL: %w", err)
	}
	h, err := relay.New(relay.Config{GoProxy: gp, PyPI: pp, CacheDir: a.CacheDir, Token: a.Token})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Listen)
	if err != nil {
		return fmt.Errorf("relay: listening on %s: %w", a.Listen, err)
	}
	if err := os.WriteFile(a.Ready, []byte(ln.Addr().String()), 0o644); err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	return srv.Serve(ln)
}

// upstreams returns the Go proxy and package index the host itself uses.
func upstreams() (goproxy, pypi string) {
	goproxy = "https://proxy.golang.org"
	if out, err := exec.Command("go", "env", "GOPROXY").Output(); err == nil {
		for _, p := range strings.FieldsFunc(strings.TrimSpace(string(out)), func(r rune) bool { return r == ',' || r == '|' }) {
			if p != "direct" && p != "off" {
				goproxy = p
				break
			}
		}
	}
	pypi = "https://pypi.org/simple"
	for _, k := range []string{"FERRY_PYPI_UPSTREAM", "PIP_INDEX_URL"} {
		if v := os.Getenv(k); v != "" {
			pypi = strings.TrimSuffix(v, "/")
			break
		}
	}
	return goproxy, pypi
}

func (tb *testbed) upRelay(ctx context.Context, st *state) error {
	if st.Relay.Alive() && relayAnswers(ctx, st.RelayAddr, st.Token) == nil {
		return nil
	}
	_ = st.Relay.Stop(ctx, 2*time.Second)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ready := filepath.Join(tb.layout.Run(), "relay.addr")
	_ = os.Remove(ready)
	goproxy, pypi := upstreams()
	arg, _ := json.Marshal(relayArgs{
		Listen: st.Link.HostIP().String() + ":0", Ready: ready, Token: st.Token,
		GoProxy: goproxy, PyPI: pypi, CacheDir: filepath.Join(tb.layout.Cache, "relay"),
	})
	p, err := daemon.Start(daemon.Spec{Name: "relay", Args: []string{self, "__relay", string(arg)}, Log: tb.layout.Log("relay")})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		addr, err := os.ReadFile(ready)
		if err == nil && len(addr) > 0 {
			st.Relay, st.RelayAddr = p, string(addr)
			break
		}
		if !p.Alive() || time.Now().After(deadline) {
			_ = p.Stop(ctx, time.Second)
			return fmt.Errorf("starting the package relay: it did not come up (log: %s)", tb.layout.Log("relay"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return relayAnswers(ctx, st.RelayAddr, st.Token)
}

func relayAnswers(ctx context.Context, addr, token string) error {
	if addr == "" {
		return errors.New("no relay address")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/__ferry/id", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("relay %s: %w", addr, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if string(body) != token {
		return fmt.Errorf("relay %s answered, but it is not the one this test bed started", addr)
	}
	return nil
}

// engineRoot returns how the engine's root is assembled for this build.
func (tb *testbed) engineRoot(st *state, b *built) engine.Root {
	run := tb.layout.Run()
	return engine.Root{
		Lower:   b.engineRoot,
		Upper:   filepath.Join(run, "engine-overlay"),
		Mount:   filepath.Join(run, "engine-root"),
		State:   tb.layout.EngineState(),
		Socket:  tb.layout.EngineSocketDir(),
		Content: tb.layout.EngineContent(),
		Config:  filepath.Join(run, "engine-config"),
		Resolv:  filepath.Join(run, "engine-resolv.conf"),
		Env: []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"DAGGER_GO_SDK_MANIFEST_DIGEST=" + b.goSDKDigest,
			"_DAGGER_ENGINE_SYSTEMENV_GOPROXY=http://" + st.RelayAddr + "/go",
		},
	}
}

func (tb *testbed) upEngine(ctx context.Context, st *state, b *built) error {
	key := b.engineKey + "/" + st.RelayAddr
	if st.Engine.Alive() && st.EngineKey == key && engineAnswers(ctx, tb.layout.EngineSocket()) == nil {
		return nil
	}
	if err := st.Engine.Stop(ctx, 15*time.Second); err != nil {
		return err
	}
	root := tb.engineRoot(st, b)
	// A fresh overlay each start: the cached root below stays untouched.
	if err := os.RemoveAll(root.Upper); err != nil {
		return fmt.Errorf("clearing the engine's overlay: %w", err)
	}
	for _, d := range []string{root.State, root.Socket, root.Content} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	_ = os.Remove(tb.layout.EngineSocket())
	var mirrors []engine.Mirror
	var plain []string
	for _, r := range registry.All {
		addr := r.Addr(st.Link.PeerIP())
		plain = append(plain, addr)
		if r.Mirror != "" {
			mirrors = append(mirrors, engine.Mirror{Host: r.Mirror, Target: addr})
		}
	}
	if err := (engine.Config{Mirrors: mirrors, Plain: plain}).WriteFiles(root.Config); err != nil {
		return err
	}
	// Offline, no name outside the test bed resolves. With no upstream the
	// engine's dnsmasq says so at once; with an unreachable one, every lookup
	// in a container would wait ten seconds for its timeouts.
	if err := os.WriteFile(root.Resolv, []byte("# offline: no upstream name server\n"), 0o644); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args, err := root.InitArgs()
	if err != nil {
		return err
	}
	p, err := daemon.Start(daemon.Spec{
		Name:       "engine",
		Args:       append([]string{"nsenter", "--net=" + st.Link.Path(), "--", self}, args...),
		Env:        []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
		Log:        tb.layout.Log("engine"),
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID,
	})
	if err != nil {
		return err
	}
	st.Engine, st.EngineKey = p, key
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := engineAnswers(ctx, tb.layout.EngineSocket())
		if err == nil {
			return nil
		}
		if !p.Alive() || time.Now().After(deadline) {
			_ = p.Stop(ctx, time.Second)
			return fmt.Errorf("starting the Dagger engine: %v (log: %s)", err, tb.layout.Log("engine"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// engineAnswers checks that the engine accepts connections on its socket.
func engineAnswers(ctx context.Context, sock string) error {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return fmt.Errorf("engine socket %s: %w", sock, err)
	}
	return c.Close()
}
