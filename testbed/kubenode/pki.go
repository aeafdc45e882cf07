package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// authority is the cluster's one CA: it signs every serving and client
// certificate, and its key signs CSRs in the controller manager.
type authority struct {
	dir  string
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

// certSpec says what a leaf certificate is for.
type certSpec struct {
	commonName string
	orgs       []string
	dnsNames   []string
	ips        []net.IP
	server     bool
	client     bool
}

// loadOrCreateCA reuses dir/NAME.{crt,key} when present (a restart on the
// same data dir keeps its credentials valid) and makes them otherwise.
func loadOrCreateCA(dir, name string) (*authority, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating TLS directory: %w", err)
	}
	crtPath, keyPath := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	certPEM, err1 := os.ReadFile(crtPath)
	keyPEM, err2 := os.ReadFile(keyPath)
	if err1 == nil && err2 == nil {
		cert, key, err := parsePair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("reading CA %s: %w (delete it to make a new one)", crtPath, err)
		}
		return &authority{dir: dir, cert: cert, key: key, pem: certPEM}, nil
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("k3s-%s@%d", name, now.Unix())},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("signing CA certificate: %w", err)
	}
	cert, _ := x509.ParseCertificate(der)
	a := &authority{dir: dir, cert: cert, key: key, pem: pemBlock("CERTIFICATE", der)}
	if err := a.write(name, der, key); err != nil {
		return nil, err
	}
	return a, nil
}

// issue signs a leaf certificate and writes dir/name.{crt,key}.
func (a *authority) issue(name string, s certSpec) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: s.commonName, Organization: s.orgs},
		DNSNames:     s.dnsNames,
		IPAddresses:  s.ips,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	if s.server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if s.client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, key.Public(), a.key)
	if err != nil {
		return fmt.Errorf("signing certificate %s: %w", name, err)
	}
	return a.write(name, der, key)
}

func (a *authority) write(name string, der []byte, key crypto.Signer) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding key %s: %w", name, err)
	}
	if err := os.WriteFile(a.path(name+".key"), pemBlock("PRIVATE KEY", keyDER), 0o600); err != nil {
		return fmt.Errorf("writing key %s: %w", name, err)
	}
	if err := os.WriteFile(a.path(name+".crt"), pemBlock("CERTIFICATE", der), 0o644); err != nil {
		return fmt.Errorf("writing certificate %s: %w", name, err)
	}
	return nil
}

func (a *authority) path(file string) string { return filepath.Join(a.dir, file) }

// serviceAccountKey makes dir/service.{key,pub} once: the key that signs
// service account tokens must survive restarts like the CA.
func serviceAccountKey(dir string) error {
	keyPath := filepath.Join(dir, "service.key")
	if _, err := os.Stat(keyPath); err == nil {
		return nil
	}
	key, err := newKey()
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding service account key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return fmt.Errorf("encoding service account public key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "service.pub"), pemBlock("PUBLIC KEY", pubDER), 0o644); err != nil {
		return fmt.Errorf("writing service account public key: %w", err)
	}
	if err := os.WriteFile(keyPath, pemBlock("PRIVATE KEY", keyDER), 0o600); err != nil {
		return fmt.Errorf("writing service account key: %w", err)
	}
	return nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	return key, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func parsePair(certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("key cannot sign")
	}
	return cert, signer, nil
}

// sans splits names into DNS names and IP addresses for a certificate.
func sans(names ...string) (dns []string, ips []net.IP) {
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		if ip := net.ParseIP(n); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, n)
		}
	}
	return dns, ips
}
