// Package spec reads testbed.yaml: the declarative list of the tools the test
// bed builds and the images it makes from Debian packages.
package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
)

// Spec is the whole of testbed.yaml.
type Spec struct {
	Debian Debian  `json:"debian"`
	Tools  []Tool  `json:"tools"`
	Images []Image `json:"images"`
	Engine Engine  `json:"engine"`
}

// Debian says where Debian packages come from.
type Debian struct {
	Suite   string   `json:"suite"`
	Mirror  string   `json:"mirror"`
	Exclude []string `json:"exclude,omitempty"`
}

// Tool is a Go program built from the module proxy at a pinned version.
type Tool struct {
	Name    string            `json:"name"`
	Module  string            `json:"module"`
	Version string            `json:"version"`
	Require map[string]string `json:"require,omitempty"`
	// Stubs maps a module path to a folder under testbed/stubs that stands
	// in for it (modules the proxy does not serve).
	Stubs map[string]string `json:"stubs,omitempty"`
	// SeedGoSum copies the target module's go.sum into the build module.
	SeedGoSum bool              `json:"seedGoSum,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	Tags      string            `json:"tags,omitempty"`
	LDFlags   string            `json:"ldflags,omitempty"`
	// Binaries maps an output name to a package path relative to Module.
	Binaries map[string]string `json:"binaries"`
}

// Image is a container image assembled from Debian packages (or on top of
// another image of this list) plus shell hooks run against its root.
type Image struct {
	Name     string   `json:"name"`
	Tags     []string `json:"tags"`
	From     string   `json:"from,omitempty"`
	Packages []string `json:"packages,omitempty"`
	// Hooks run on the host as `sh -c HOOK exec ROOT`: "$1" is the image root.
	Hooks  []string `json:"hooks,omitempty"`
	Config Config   `json:"config,omitempty"`
	// Uses names tools whose binaries the hooks copy in; they are built first
	// and their versions are part of the image's cache key.
	Uses []string `json:"uses,omitempty"`
	// Inputs are files of the repository (paths from its root) the hooks
	// read as "$FERRY_REPO"/PATH; their contents are part of the cache key.
	Inputs []string `json:"inputs,omitempty"`
}

// Config is the part of the OCI image config an image recipe sets.
type Config struct {
	Env          []string `json:"env,omitempty"`
	Entrypoint   []string `json:"entrypoint,omitempty"`
	Cmd          []string `json:"cmd,omitempty"`
	WorkingDir   string   `json:"workdir,omitempty"`
	User         string   `json:"user,omitempty"`
	ExposedPorts []string `json:"exposedPorts,omitempty"`
	Volumes      []string `json:"volumes,omitempty"`
}

// Engine holds the two images the Dagger engine itself needs.
type Engine struct {
	Rootfs Image `json:"rootfs"`
	GoSDK  Image `json:"goSDK"`
}

// Vars are the values image names and tags may refer to as {{.Name}}.
type Vars struct {
	GoVersion string // e.g. 1.26.8
	GoMinor   string // e.g. 1.26
}

// Load reads and validates a spec file, expanding {{.Var}} in tags.
func Load(path string, vars Vars) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading test bed spec: %w", err)
	}
	s, err := Parse(b, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Parse decodes and validates spec text.
func Parse(b []byte, vars Vars) (*Spec, error) {
	var s Spec
	if err := yaml.UnmarshalStrict(b, &s); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	for _, img := range s.allImages() {
		for j, tag := range img.Tags {
			t, err := expand(tag, vars)
			if err != nil {
				return nil, fmt.Errorf("image %s: tag %q: %w", img.Name, tag, err)
			}
			img.Tags[j] = t
		}
		for j, env := range img.Config.Env {
			e, err := expand(env, vars)
			if err != nil {
				return nil, fmt.Errorf("image %s: env %q: %w", img.Name, env, err)
			}
			img.Config.Env[j] = e
		}
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func expand(s string, vars Vars) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	t, err := template.New("").Option("missingkey=error").Parse(s)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, vars); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// allImages returns pointers to every image recipe, the engine's included.
func (s *Spec) allImages() []*Image {
	out := make([]*Image, 0, len(s.Images)+2)
	for i := range s.Images {
		out = append(out, &s.Images[i])
	}
	for _, img := range []*Image{&s.Engine.Rootfs, &s.Engine.GoSDK} {
		if img.Name != "" {
			out = append(out, img)
		}
	}
	return out
}

var (
	toolName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	tagName  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	semver   = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`)
)

func (s *Spec) validate() error {
	if (s.Engine.Rootfs.Name == "") != (s.Engine.GoSDK.Name == "") {
		return fmt.Errorf("engine: give both rootfs and goSDK, or neither")
	}
	if s.Debian.Suite == "" || s.Debian.Mirror == "" {
		return fmt.Errorf("debian: suite and mirror are required")
	}
	tools := map[string]bool{}
	for _, t := range s.Tools {
		switch {
		case !toolName.MatchString(t.Name):
			return fmt.Errorf("tool %q: name must match %s", t.Name, toolName)
		case tools[t.Name]:
			return fmt.Errorf("tool %q: listed twice", t.Name)
		case t.Module == "":
			return fmt.Errorf("tool %q: module is required", t.Name)
		case !semver.MatchString(t.Version):
			return fmt.Errorf("tool %q: version %q is not an exact semantic version (pin it, e.g. v1.2.3)", t.Name, t.Version)
		case len(t.Binaries) == 0:
			return fmt.Errorf("tool %q: binaries is empty", t.Name)
		}
		tools[t.Name] = true
	}
	names := map[string]bool{}
	for _, img := range s.allImages() {
		if err := validateImage(img, tools); err != nil {
			return err
		}
		if names[img.Name] {
			return fmt.Errorf("image %s: listed twice", img.Name)
		}
		names[img.Name] = true
	}
	for _, img := range s.allImages() {
		if img.From != "" && !names[img.From] {
			return fmt.Errorf("image %s: from %q is not an image of this list", img.Name, img.From)
		}
		if img.From != "" {
			if base, _ := s.Image(img.From); base != nil && base.From != "" {
				return fmt.Errorf("image %s: from %q, which itself has a from: one level only", img.Name, img.From)
			}
		}
	}
	return nil
}

func validateImage(img *Image, tools map[string]bool) error {
	if img.Name == "" || strings.ContainsAny(img.Name, ":@") {
		return fmt.Errorf("image %q: name must be a repository without tag or digest", img.Name)
	}
	if len(img.Tags) == 0 {
		return fmt.Errorf("image %s: at least one tag is required", img.Name)
	}
	for _, t := range img.Tags {
		if !tagName.MatchString(t) {
			return fmt.Errorf("image %s: tag %q is not a valid tag", img.Name, t)
		}
	}
	if img.From == "" && len(img.Packages) == 0 {
		return fmt.Errorf("image %s: needs packages or from", img.Name)
	}
	if img.From != "" && len(img.Packages) > 0 {
		return fmt.Errorf("image %s: packages cannot be added on top of from %q (add them to the base)", img.Name, img.From)
	}
	for _, in := range img.Inputs {
		if in == "" || strings.HasPrefix(in, "/") || strings.Contains(in, "..") {
			return fmt.Errorf("image %s: input %q must be a path inside the repository", img.Name, in)
		}
	}
	for _, u := range img.Uses {
		if !tools[u] {
			return fmt.Errorf("image %s: uses %q, which is not a tool of this list", img.Name, u)
		}
	}
	return nil
}

// Image returns the recipe named name (a repository, e.g.
// docker.io/library/python). Docker Hub short names are accepted.
func (s *Spec) Image(name string) (*Image, error) {
	repo := Canonical(name)
	for _, img := range s.allImages() {
		if img.Name == repo {
			return img, nil
		}
	}
	known := make([]string, 0, len(s.Images))
	for _, img := range s.Images {
		known = append(known, img.Name)
	}
	sort.Strings(known)
	return nil, fmt.Errorf("image %s is not built by the test bed (known: %s); add a recipe for it to testbed/testbed.yaml", repo, strings.Join(known, ", "))
}

// Tool returns the tool named name.
func (s *Spec) Tool(name string) (*Tool, error) {
	for i := range s.Tools {
		if s.Tools[i].Name == name {
			return &s.Tools[i], nil
		}
	}
	return nil, fmt.Errorf("tool %q is not in testbed/testbed.yaml", name)
}

// Canonical expands Docker Hub short names the way docker does
// ("python" → docker.io/library/python) and drops any tag or digest.
func Canonical(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	first, _, found := strings.Cut(ref, "/")
	if !found {
		return "docker.io/library/" + ref
	}
	if !strings.ContainsAny(first, ".:") && first != "localhost" {
		return "docker.io/" + ref
	}
	if first == "index.docker.io" {
		return "docker.io/" + strings.TrimPrefix(ref, "index.docker.io/")
	}
	return ref
}

// Hash is a stable digest of values, for cache keys.
func Hash(values ...any) string {
	h := sha256.New()
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprintf("%#v", v))
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
