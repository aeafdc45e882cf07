package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// TestCertsServeAndAuthenticate issues the node's certificates, serves TLS
// with the API server's pair and calls it through the admin kubeconfig
// (parsed by client-go) under every name a client may use.
func TestCertsServeAndAuthenticate(t *testing.T) {
	cfg := defaultConfig()
	cfg.dataDir = t.TempDir()
	cfg.tlsSANs = []string{"k3s-service", "192.0.2.7"}
	n := &node{cfg: cfg, name: "node-a", ip: "10.9.8.7", advertise: "10.9.8.7"}
	ca, err := loadOrCreateCA(n.tlsDir(), "ca")
	if err != nil {
		t.Fatalf("loadOrCreateCA error: %v", err)
	}
	if err := n.issueCerts(ca); err != nil {
		t.Fatalf("issueCerts error: %v", err)
	}
	pair, err := tls.LoadX509KeyPair(ca.path("serving-kube-apiserver.crt"), ca.path("serving-kube-apiserver.key"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	var gotUser []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.TLS.PeerCertificates[0]
		gotUser = append([]string{c.Subject.CommonName}, c.Subject.Organization...)
		w.Write([]byte(`{"kind":"Status","status":"Success"}`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	kc := filepath.Join(t.TempDir(), "k3s.yaml")
	if err := ca.writeKubeconfig(kc, "client-admin", "https://127.0.0.1:6443", 0o644); err != nil {
		t.Fatalf("writeKubeconfig error: %v", err)
	}
	base, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatalf("client-go cannot read the kubeconfig: %v", err)
	}
	// Consumers rewrite the host to the name they reach the service by.
	for _, host := range []string{"127.0.0.1", "localhost", "k3s-service", "node-a", "kubernetes.default.svc"} {
		t.Run(host, func(t *testing.T) {
			rc := rest.CopyConfig(base)
			rc.Host = "https://" + host + ":" + port
			rc.Dial = func(_ context.Context, network, _ string) (net.Conn, error) {
				return net.Dial(network, srv.Listener.Addr().String())
			}
			tr, err := rest.TransportFor(rc)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := (&http.Client{Transport: tr}).Get(rc.Host + "/version")
			if err != nil {
				t.Fatalf("GET via %s: %v", host, err)
			}
			resp.Body.Close()
			if len(gotUser) < 2 || gotUser[0] != "system:admin" || gotUser[1] != "system:masters" {
				t.Errorf("server saw client %v, want [system:admin system:masters]", gotUser)
			}
		})
	}
	// The IP SANs asked for are in the serving certificate.
	cert, _ := x509.ParseCertificate(pair.Certificate[0])
	for _, ip := range []string{"192.0.2.7", "10.9.8.7", "10.43.0.1", "127.0.0.1"} {
		if err := cert.VerifyHostname(ip); err != nil {
			t.Errorf("serving certificate does not cover %s: %v", ip, err)
		}
	}
	// A second start reuses the CA, so earlier kubeconfigs stay valid.
	again, err := loadOrCreateCA(n.tlsDir(), "ca")
	if err != nil || !again.cert.Equal(ca.cert) {
		t.Errorf("loadOrCreateCA again = new CA (err %v), want the same CA", err)
	}
}
