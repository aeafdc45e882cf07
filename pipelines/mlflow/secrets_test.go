package mlflow

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testToken    = "tok-3f9a1c-very-secret"
	testPassword = "pw-77b2e0-very-secret"
)

// leaks lists every form of a test credential that must never be shown.
func leaks(s string) []string {
	basic := base64.StdEncoding.EncodeToString([]byte("ci:" + testPassword))
	var found []string
	for _, secret := range []string{testToken, testPassword, basic} {
		if strings.Contains(s, secret) {
			found = append(found, secret)
		}
	}
	return found
}

// echoServer answers status with a body that repeats the request's Authorization header
// and the credentials in it, as a careless proxy might.
func echoServer(t *testing.T, status int) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		auth := r.Header.Get("Authorization")
		user, pass, _ := r.BasicAuth()
		msg := fmt.Sprintf("denied: header %q user %q password %q", auth, user, pass)
		_ = json.NewEncoder(w).Encode(map[string]string{"error_code": "PERMISSION_DENIED", "message": msg})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestSecretsNeverShown(t *testing.T) {
	refused := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	auths := []struct {
		name string
		opt  Option
	}{
		{"bearer", WithBearerToken(testToken)},
		{"basic", WithBasicAuth("ci", testPassword)},
	}
	servers := []struct {
		name string
		url  string
	}{
		{"401 echoing credentials", echoServer(t, http.StatusUnauthorized).URL},
		{"403 echoing credentials", echoServer(t, http.StatusForbidden).URL},
		{"503 echoing credentials", echoServer(t, http.StatusServiceUnavailable).URL},
		{"connection refused", refused},
	}
	for _, a := range auths {
		for _, s := range servers {
			t.Run(a.name+"/"+s.name, func(t *testing.T) {
				var logs bytes.Buffer
				logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				c := testClient(t, s.url, a.opt, WithLogger(logger), WithRetries(1), WithBackoff(time.Millisecond, time.Millisecond))
				_, err := c.GetExperimentByName(t.Context(), "e")
				if err == nil {
					t.Fatal("GetExperimentByName() = nil error, want one")
				}
				logger.Info("client", "client", c)
				shown := map[string]string{
					"error":  err.Error() + fmt.Sprintf(" %+v %#v", err, err),
					"logs":   logs.String(),
					"String": c.String() + fmt.Sprint(c) + fmt.Sprintf(" %v %+v %#v %s %q", c, c, c, c, c),
					"opts":   fmt.Sprintf("%v %+v %#v", c.opts, c.opts.auth, c.opts),
				}
				js, _ := json.Marshal(c)
				shown["json"] = string(js)
				for what, text := range shown {
					if l := leaks(text); len(l) > 0 {
						t.Errorf("%s shows credential %q: %s", what, l, text)
					}
				}
				if !strings.Contains(shown["String"], a.name) {
					t.Errorf("String() = %q, want it to name the auth kind %q", c.String(), a.name)
				}
			})
		}
	}
}

func TestAuthHeaderSent(t *testing.T) {
	var mu sync.Mutex
	var got []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"experiment": {}}`)
	}))
	defer ts.Close()
	tests := []struct {
		opt  Option
		want string
	}{
		{WithBearerToken(testToken), "Bearer " + testToken},
		{WithBasicAuth("ci", testPassword), "Basic " + base64.StdEncoding.EncodeToString([]byte("ci:"+testPassword))},
		{WithUserAgent("x"), ""},
	}
	for i, tt := range tests {
		if _, err := testClient(t, ts.URL, tt.opt).GetExperiment(t.Context(), "1"); err != nil {
			t.Fatal(err)
		}
		if got[i] != tt.want {
			t.Errorf("Authorization header #%d = %q, want %q", i, got[i], tt.want)
		}
	}
}

func TestNewRejectsCredentialsInURI(t *testing.T) {
	tests := []string{
		"http://ci:" + testPassword + "@mlflow.example:5000",
		"http://" + testToken + "@mlflow.example",
		"ftp://ci:" + testPassword + "@mlflow.example",
		"http://ci:" + testPassword + "@bad host/%zz",
	}
	for _, uri := range tests {
		c, err := New(uri)
		if err == nil {
			t.Errorf("New(<uri with credentials>) = %v, want an error", c)
			continue
		}
		if l := leaks(err.Error()); len(l) > 0 {
			t.Errorf("New(<uri with credentials>) error %q shows %q", err, l)
		}
	}
}
