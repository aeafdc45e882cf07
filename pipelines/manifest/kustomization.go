package manifest

import (
	"fmt"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"

	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// setImage does what `kustomize edit set image placeholder=img` does, on the
// in-memory copy of the kustomization file kfile: the entry for placeholder
// in its images list gets img's name, tag and digest (the entry is added
// when the overlay has none). The overlay's own pin is replaced, not layered
// on, so the result does not depend on the name the overlay pins.
func setImage(mem filesys.FileSystem, kfile, placeholder string, img Image) error {
	b, err := mem.ReadFile(kfile)
	if err != nil {
		return fmt.Errorf("reading %s: %w", kfile, err)
	}
	doc, err := yaml.Parse(string(b))
	if err != nil {
		return fmt.Errorf("parsing %s: %w", kfile, err)
	}
	if doc.YNode().Kind != yaml.MappingNode {
		return fmt.Errorf("parsing %s: want a kustomization (a YAML mapping), got a %s", kfile, kindName(doc.YNode().Kind))
	}
	images, err := doc.Pipe(yaml.LookupCreate(yaml.SequenceNode, "images"))
	if err != nil {
		return fmt.Errorf("%s: images: %w", kfile, err)
	}
	if images.YNode().Kind != yaml.SequenceNode {
		return fmt.Errorf("%s: images: want a list of {name, newName, newTag, digest}, got a %s", kfile, kindName(images.YNode().Kind))
	}
	var entry *yaml.RNode
	items, err := images.Elements()
	if err != nil {
		return fmt.Errorf("%s: images: %w", kfile, err)
	}
	for _, it := range items {
		if n, _ := it.GetString("name"); n == placeholder {
			entry = it
		}
	}
	if entry == nil {
		entry = yaml.NewMapRNode(&map[string]string{"name": placeholder})
		if err := images.PipeE(yaml.Append(entry.YNode())); err != nil {
			return fmt.Errorf("%s: adding image %s: %w", kfile, placeholder, err)
		}
	}
	fields := map[string]string{"newName": img.Name, "newTag": img.Tag, "digest": img.Digest}
	if img.Name == placeholder {
		fields["newName"] = ""
	}
	for _, f := range []string{"newName", "newTag", "digest"} {
		if err := entry.PipeE(yaml.Clear(f)); err != nil {
			return fmt.Errorf("%s: image %s: %w", kfile, placeholder, err)
		}
		if fields[f] != "" {
			if err := entry.PipeE(yaml.SetField(f, yaml.NewStringRNode(fields[f]))); err != nil {
				return fmt.Errorf("%s: image %s: %w", kfile, placeholder, err)
			}
		}
	}
	out, err := doc.String()
	if err != nil {
		return fmt.Errorf("writing %s: %w", kfile, err)
	}
	return mem.WriteFile(kfile, []byte(out))
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	default:
		return "document of another kind"
	}
}

// checkKustomizations parses the kustomization file in dir and in every
// folder it reaches through resources and components, the way kustomize
// does, so that a broken file is named in the error (kustomize names only
// the folder whose kustomization it could not read).
func checkKustomizations(mem filesys.FileSystem, dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	var kfile string
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if p := filepath.Join(dir, n); mem.Exists(p) && !mem.IsDir(p) {
			kfile = p
			break
		}
	}
	if kfile == "" {
		return nil // kustomize reports the missing file itself
	}
	b, err := mem.ReadFile(kfile)
	if err != nil {
		return fmt.Errorf("reading %s: %w", kfile, err)
	}
	var k types.Kustomization
	if err := k.Unmarshal(b); err != nil {
		return fmt.Errorf("parsing %s: %w", kfile, err)
	}
	k.FixKustomization()
	for _, r := range append(k.Resources, k.Components...) {
		if p := filepath.Join(dir, r); !filepath.IsAbs(r) && mem.IsDir(p) {
			if err := checkKustomizations(mem, p, seen); err != nil {
				return err
			}
		}
	}
	return nil
}
