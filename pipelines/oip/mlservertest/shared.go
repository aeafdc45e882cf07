package mlservertest

import (
	"sync"
	"testing"
)

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns one server for the whole test binary, serving the trained candidate
// diamonds model, started on first use, so a package's tests pay for one start. Call
// CloseShared from TestMain after m.Run; if a binary does not, the server's watchdog
// still stops it when the binary exits.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		var m Model
		if m, shared.err = trainedModel("candidate"); shared.err == nil {
			shared.srv, shared.err = Launch(m)
		}
	})
	if shared.err != nil {
		fail(t, shared.err)
	}
	t.Cleanup(func() { shared.srv.logOnFailure(t) })
	return shared.srv
}

// CloseShared stops the shared server, if one was started.
func CloseShared() error {
	if shared.srv == nil {
		return nil
	}
	return shared.srv.Close()
}
