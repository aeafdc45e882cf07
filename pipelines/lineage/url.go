package lineage

import (
	"net/url"
	"strings"
)

// StripCredentials removes what may hold a secret from a repository or CI URL: the user
// and password (https://user:token@host/x → https://host/x, and git@host:org/repo →
// host:org/repo), the query (?private_token=…) and the fragment. A URL too malformed to
// parse loses everything up to its last "@" after the scheme.
func StripCredentials(raw string) string {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ""
	}
	scheme, rest, hasScheme := strings.Cut(s, "://")
	if !hasScheme {
		// scp-like git syntax, [user@]host:path; a plain path has no "@" before a ":".
		at, colon := strings.Index(s, "@"), strings.Index(s, ":")
		if at >= 0 && colon > at {
			return s[at+1:]
		}
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		if i := strings.IndexAny(rest, "?#"); i >= 0 {
			rest = rest[:i]
		}
		return scheme + "://" + rest
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	return u.String()
}
