package oip

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/oip/mlservertest"
)

// Tests against a real MLServer share one per test binary (never under -short).
func TestMain(m *testing.M) {
	code := m.Run()
	if err := mlservertest.CloseShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping shared mlserver:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// realServer is the shared MLServer serving the trained candidate diamonds model.
func realServer(t testing.TB) *mlservertest.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs a real MLServer; run without -short")
	}
	return mlservertest.Shared(t)
}

func newClient(t testing.TB, url string) *Client {
	t.Helper()
	c, err := New(url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
