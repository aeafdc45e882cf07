package harbor_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/ferryml/ferry/pipelines/harbor"
	"github.com/ferryml/ferry/pipelines/harbor/harbortest"
)

// The password reaches no log line, error, String() or stderr, even with
// go-openapi's request dumping switched on by DEBUG and SWAGGER_DEBUG.
func TestSecretsNeverShown(t *testing.T) {
	t.Setenv("DEBUG", "1")
	t.Setenv("SWAGGER_DEBUG", "1")
	srv := harbortest.New(user, password)
	defer srv.Close()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	captured := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); captured <- b }()

	var logs bytes.Buffer
	var texts []string
	func() {
		defer func() { os.Stderr = stderr }()
		creds := harbor.Credentials{Username: user, Password: password}
		c, err := harbor.New(srv.URL, creds, harbor.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		_, e1 := c.EnsureProject(ctx, "ferry", true)
		_, e2 := c.SetRetention(ctx, "ferry", 2, "")
		e3 := c.TriggerScan(ctx, "ferry", repo, "v404")
		texts = append(texts, creds.String(), fmt.Sprintf("%v %+v %#v", creds, creds, creds), c.String(), fmt.Sprint(e1, e2, e3))
		bad, _ := harbor.New(srv.URL, harbor.Credentials{Username: user, Password: password + "x"})
		_, e4 := bad.ScanOverview(ctx, "ferry", repo, "v1")
		texts = append(texts, fmt.Sprintf("%v %+v", e4, e4))
	}()
	w.Close()
	texts = append(texts, string(<-captured), logs.String())
	if !strings.Contains(logs.String(), "harbor project ensured") {
		t.Fatalf("the logger saw nothing; the test would prove nothing: %q", logs.String())
	}
	token := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	for _, text := range texts {
		if strings.Contains(text, password) || strings.Contains(text, token) {
			t.Errorf("a secret leaked into: %q", text)
		}
	}
}
