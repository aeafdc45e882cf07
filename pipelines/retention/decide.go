package retention

import (
	"fmt"
	"regexp"
	"strings"
)

// attachedTag is cosign's tag scheme for artifacts about a digest:
// sha256-<hex>.sig, .att, .sbom (and a bare sha256-<hex> for referrers fallback).
var attachedTag = regexp.MustCompile(`^sha256-([0-9a-f]{64})(\.[a-z]+)?$`)

// decide marks what to keep and returns the versions newest first, each
// attached artifact right after its subject.
func decide(versions map[string]*Version, keep int, prot []Protected, pinned map[string]string) []Version {
	ranked := sortedVersions(versions)
	var own []*Version
	for _, v := range ranked {
		if v.Subject = subjectOf(v); v.Subject == "" {
			own = append(own, v)
		}
	}
	for i, v := range own {
		if i < keep {
			v.Keep, v.Reason = true, fmt.Sprintf("newest %d of %d", i+1, len(own))
		} else {
			v.Reason = fmt.Sprintf("older than the newest %d (rank %d of %d)", keep, i+1, len(own))
		}
	}
	for _, v := range own {
		if why, ok := pinned[v.Digest]; ok && !v.Keep {
			v.Keep, v.Reason = true, why
		}
	}
	// An index needs its images: keep them while a kept index points at them.
	for changed := true; changed; {
		changed = false
		for _, v := range ranked {
			if !v.Keep || len(v.Manifests) == 0 {
				continue
			}
			for _, m := range v.Manifests {
				if c, ok := versions[m]; ok && !c.Keep {
					c.Keep, c.Reason, changed = true, "in kept index "+shortDigest(v.Digest), true
				}
			}
		}
	}
	for _, v := range ranked {
		if v.Subject == "" {
			continue
		}
		s, ok := versions[v.Subject]
		switch {
		case !ok || s.Subject != "":
			v.Keep, v.Reason = true, "attached to "+shortDigest(v.Subject)+", which is not a version here; left alone"
		case s.Keep:
			v.Keep, v.Reason = true, "attached to kept "+shortDigest(v.Subject)
		default:
			v.Keep, v.Reason = false, "attached to deleted "+shortDigest(v.Subject)
		}
		if why, ok := pinned[v.Digest]; ok && !v.Keep {
			v.Keep, v.Reason = true, why
		}
	}
	out := make([]Version, 0, len(ranked))
	for _, v := range own {
		out = append(out, *v)
		for _, a := range ranked {
			if a.Subject == v.Digest {
				out = append(out, *a)
			}
		}
	}
	for _, a := range ranked {
		if s, ok := versions[a.Subject]; a.Subject != "" && (!ok || s.Subject != "") {
			out = append(out, *a)
		}
	}
	return out
}

// subjectOf returns the digest a version is attached to, when every one of its
// tags follows the attached-artifact scheme for that same digest.
func subjectOf(v *Version) string {
	subject := ""
	for _, t := range v.Tags {
		m := attachedTag.FindStringSubmatch(t)
		if m == nil || (subject != "" && subject != "sha256:"+m[1]) {
			return ""
		}
		subject = "sha256:" + m[1]
	}
	if subject == v.Digest {
		return ""
	}
	return subject
}

// newer reports whether a ranks before b (see Plan).
func newer(a, b *Version) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.After(b.Created)
	}
	if c := naturalCompare(maxTag(a.Tags), maxTag(b.Tags)); c != 0 {
		return c > 0
	}
	return a.Digest > b.Digest
}

func maxTag(tags []string) string {
	best := ""
	for _, t := range tags {
		if naturalCompare(t, best) > 0 {
			best = t
		}
	}
	return best
}

// naturalCompare orders strings with runs of digits compared as numbers:
// "v9" < "v10", "1.2.9" < "1.2.10". Equal numbers with different zero padding
// fall back to byte order, so the order is total.
func naturalCompare(a, b string) int {
	x, y := a, b
	for x != "" && y != "" {
		dx, dy := isDigit(x[0]), isDigit(y[0])
		switch {
		case dx && dy:
			nx, ny := digitRun(x), digitRun(y)
			tx, ty := strings.TrimLeft(x[:nx], "0"), strings.TrimLeft(y[:ny], "0")
			if len(tx) != len(ty) {
				return cmpInt(len(tx), len(ty))
			}
			if c := strings.Compare(tx, ty); c != 0 {
				return c
			}
			x, y = x[nx:], y[ny:]
		case x[0] != y[0]:
			return cmpInt(int(x[0]), int(y[0]))
		default:
			x, y = x[1:], y[1:]
		}
	}
	if c := cmpInt(len(x), len(y)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
