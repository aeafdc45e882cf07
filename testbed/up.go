package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ferryml/ferry/testbed/internal/daemon"
	"github.com/ferryml/ferry/testbed/internal/image"
	"github.com/ferryml/ferry/testbed/internal/netns"
	"github.com/ferryml/ferry/testbed/internal/registry"
	"github.com/ferryml/ferry/testbed/internal/spec"
)

// up builds what is missing and starts what is not running. Running parts
// that are current are kept, so up twice gives the same state.
func (tb *testbed) up(ctx context.Context) error {
	start := time.Now()
	if err := preflight(); err != nil {
		return err
	}
	unlock, err := tb.lock()
	if err != nil {
		return err
	}
	defer unlock()
	st, err := tb.loadState()
	if err != nil {
		return err
	}
	if st == nil {
		st = &state{}
	}
	if st.Token == "" {
		st.Token = randomToken()
	}
	if err := os.MkdirAll(filepath.Dir(tb.layout.Log("x")), 0o755); err != nil {
		return err
	}
	b, err := tb.build(ctx, st)
	if err != nil {
		return err
	}
	st.DaggerBin = filepath.Join(b.tools["dagger"], "dagger")
	phase := time.Now()
	if err := tb.upNetwork(ctx, st); err != nil {
		return err
	}
	if err := tb.upRegistries(ctx, st); err != nil {
		return err
	}
	if err := tb.saveState(st); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "up: network and registries ready in %s\n", time.Since(phase).Round(time.Millisecond))
	phase = time.Now()
	if err := tb.pushImages(ctx, st, b); err != nil {
		return err
	}
	if err := tb.pushTrivyDB(ctx, st); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "up: images pushed in %s\n", time.Since(phase).Round(time.Millisecond))
	if err := tb.upRelay(ctx, st); err != nil {
		return err
	}

	if err := tb.saveState(st); err != nil {
		return err
	}
	phase = time.Now()
	if err := tb.upEngine(ctx, st, b); err != nil {
		return err
	}
	if err := tb.saveState(st); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "up: engine ready in %s\n", time.Since(phase).Round(time.Millisecond))
	fmt.Fprintf(os.Stderr, "up: test bed %q is up (%s); use it with: eval \"$(testbed env)\"\n", tb.layout.Name, time.Since(start).Round(time.Millisecond))
	return nil
}

func (tb *testbed) upNetwork(ctx context.Context, st *state) error {
	l := netns.Link{NS: tb.layout.NetNS(), HostIf: tb.layout.HostVeth(), PeerIf: tb.layout.PeerVeth(), Subnet: st.Link.Subnet}
	if !l.Subnet.IsValid() || !netns.Exists(l) {
		used, err := netns.UsedPrefixes(ctx)
		if err != nil {
			return fmt.Errorf("choosing the test bed's subnet: %w", err)
		}
		if l.Subnet, err = netns.PickSubnet(used); err != nil {
			return err
		}
	}
	if err := netns.Up(ctx, l); err != nil {
		return fmt.Errorf("setting up the network (%s): %w", l.NS, err)
	}
	st.Link = l
	return nil
}

func (tb *testbed) upRegistries(ctx context.Context, st *state) error {
	byName := map[string]runningRegistry{}
	for _, r := range st.Registries {
		byName[r.Name] = r
	}
	st.Registries = nil
	for _, r := range registry.All {
		addr := r.Addr(st.Link.PeerIP())
		run := byName[r.Name]
		if run.Process.Alive() && readyWithin(ctx, 2*time.Second, addr, st.Token) == nil {
			st.Registries = append(st.Registries, run)
			continue
		}
		_ = run.Process.Stop(ctx, 5*time.Second)
		conf, err := registry.WriteConfig(r, st.Link.PeerIP(), tb.layout.RegistryData(r.Name), filepath.Join(tb.layout.Run(), "conf"), st.Token)
		if err != nil {
			return fmt.Errorf("configuring registry %s: %w", r.Name, err)
		}
		p, err := daemon.Start(daemon.Spec{
			Name: "registry-" + r.Name,
			Args: []string{"nsenter", "--net=" + st.Link.Path(), "--", "docker-registry", "serve", conf},
			Log:  tb.layout.Log("registry-" + r.Name),
		})
		if err != nil {
			return err
		}
		if err := readyWithin(ctx, 20*time.Second, addr, st.Token); err != nil {
			_ = p.Stop(ctx, time.Second)
			return fmt.Errorf("starting registry %s: %w (log: %s)", r.Name, err, tb.layout.Log("registry-"+r.Name))
		}
		st.Registries = append(st.Registries, runningRegistry{Registry: r, Process: p})
	}
	return nil
}

// pushImages pushes every image whose recipe the mirror does not hold yet,
// then writes the image lock: each tag pinned by digest.
func (tb *testbed) pushImages(ctx context.Context, st *state, b *built) error {
	st.Images = map[string]string{}
	for _, bi := range b.images {
		host, path, _ := strings.Cut(bi.spec.Name, "/")
		reg, err := registry.For(host)
		if err != nil {
			return fmt.Errorf("image %s: %w", bi.spec.Name, err)
		}
		repo := reg.Addr(st.Link.PeerIP()) + "/" + path
		d, ok := image.Current(ctx, repo, bi.spec.Tags[0], bi.recipe)
		if !ok || !allTagged(ctx, repo, bi) {
			fmt.Fprintf(os.Stderr, "pushing %s:%s\n", bi.spec.Name, strings.Join(bi.spec.Tags, ","))
			if d, err = image.Push(ctx, bi.image, repo, bi.spec.Tags); err != nil {
				return err
			}
		}
		for _, tag := range bi.spec.Tags {
			st.Images[bi.spec.Name+":"+tag] = bi.spec.Name + ":" + tag + "@" + d.String()
		}
	}
	data, err := json.MarshalIndent(st.Images, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(tb.layout.ImageLock(), append(data, '\n'), 0o644)
}

func allTagged(ctx context.Context, repo string, bi builtImage) bool {
	for _, tag := range bi.spec.Tags[1:] {
		if _, ok := image.Current(ctx, repo, tag, bi.recipe); !ok {
			return false
		}
	}
	return true
}

func (tb *testbed) image(w *os.File, ref string) error {
	st, err := tb.loadState()
	if err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("the test bed is not up: run `testbed up` first")
	}
	repo := spec.Canonical(ref)
	if _, err := tb.spec.Image(repo); err != nil {
		return err
	}
	tag := "latest"
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		tag = ref[i+1:]
	}
	pinned, ok := st.Images[repo+":"+tag]
	if !ok {
		var tags []string
		for k := range st.Images {
			if strings.HasPrefix(k, repo+":") {
				tags = append(tags, strings.TrimPrefix(k, repo+":"))
			}
		}
		sort.Strings(tags)
		return fmt.Errorf("image %s has no tag %q in the test bed (tags: %s); add it to testbed/testbed.yaml", repo, tag, strings.Join(tags, ", "))
	}
	fmt.Fprintln(w, pinned)
	return nil
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func readyWithin(ctx context.Context, d time.Duration, addr, token string) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return registry.Ready(ctx, addr, token)
}
