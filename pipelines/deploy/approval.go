package deploy

import (
	"fmt"
	"strings"
)

// Environments Deploy knows, as in manifests/overlays.
const (
	Dev        = "dev"
	Staging    = "staging"
	Production = "production"
)

// checkApproval refuses a production deploy without an explicit approval.
func checkApproval(env, approval string) error {
	switch env {
	case Dev, Staging:
		return nil
	case Production:
		if strings.TrimSpace(approval) == "" {
			return fmt.Errorf("deploying to production needs an explicit approval: " +
				"pass --approve \"<who approved, ticket>\" (Request.Approval in Go)")
		}
		return nil
	default:
		return fmt.Errorf("unknown environment %q: use %s, %s or %s", env, Dev, Staging, Production)
	}
}
