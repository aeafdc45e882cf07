package deploy

import (
	"os"
	"testing"

	"github.com/ferryml/ferry/pipelines/kubetest"
)

// TestMain runs the tests in a network namespace of their own (kubetest.Main), where the
// kwok pods' addresses are served by podHandler.
func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }
