package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
)

// kubeconfig renders a client configuration with embedded credentials,
// named "default" throughout like the one k3s writes.
func kubeconfig(server string, caPEM, certPEM, keyPEM []byte) []byte {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: %s
    server: %s
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
preferences: {}
users:
- name: default
  user:
    client-certificate-data: %s
    client-key-data: %s
`, b64(caPEM), server, b64(certPEM), b64(keyPEM))
}

// writeKubeconfig writes a kubeconfig for the certificate pair name of the
// authority, atomically, so a reader polling the file never sees half of it.
func (a *authority) writeKubeconfig(path, name, server string, mode os.FileMode) error {
	certPEM, err := os.ReadFile(a.path(name + ".crt"))
	if err != nil {
		return fmt.Errorf("reading certificate for kubeconfig: %w", err)
	}
	keyPEM, err := os.ReadFile(a.path(name + ".key"))
	if err != nil {
		return fmt.Errorf("reading key for kubeconfig: %w", err)
	}
	return writeAtomic(path, kubeconfig(server, a.pem, certPEM, keyPEM), mode)
}

// writeAtomic writes data next to path and renames it into place.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating folder for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("setting mode of %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
