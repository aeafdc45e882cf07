package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/cache"
)

// trivyVersion is the Trivy release the tool builds pin.
const trivyVersion = "v0.74.0"

// accepted are the findings below HIGH that the rendered overlays keep on
// purpose; manifests/README.md says why. Any other finding fails the test.
var accepted = map[string]string{
	"KSV-0020": "runs as uid 1000 (the MLServer image's user), not > 10000",
	"KSV-0021": "runs as gid 1000 (the MLServer image's group), not > 10000",
	"KSV-0125": "the registry is the pipeline's own, which Trivy's default trusted list cannot know",
}

// trivyBinary finds the trivy the tool builds made: $FERRY_TOOL_TRIVY (its
// folder, or the binary), else <cache>/tools/trivy-v0.74.0-*/trivy. Absent,
// the test is skipped outside CI and fails in CI.
func trivyBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FERRY_TOOL_TRIVY"); p != "" {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, "trivy")
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("FERRY_TOOL_TRIVY=%s: %v", os.Getenv("FERRY_TOOL_TRIVY"), err)
		}
		return p
	}
	dir, err := cache.Dir()
	if err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "tools", "trivy-"+trivyVersion+"-*", "trivy"))
	matches = slices.DeleteFunc(matches, func(p string) bool { return strings.HasSuffix(filepath.Dir(p), ".tmp") })
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	msg := fmt.Sprintf("trivy %s not found: set FERRY_TOOL_TRIVY (eval \"$(bin/testbed env)\") or build the tools into %s",
		trivyVersion, filepath.Join(dir, "tools"))
	if ci := strings.ToLower(os.Getenv("CI")); ci == "" || ci == "false" || ci == "0" {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return ""
}

type finding struct{ Target, ID, Severity, Title, Message string }

func (f finding) String() string {
	return fmt.Sprintf("%s %s %s (%s): %s", f.Target, f.ID, f.Severity, f.Title, f.Message)
}

type scan struct {
	exit     int
	findings []finding
	took     time.Duration
}

// trivyConfig runs `trivy config` on dir, offline: the checks embedded in
// the binary (--skip-check-update: no bundle download), no version check, no
// telemetry, a throwaway cache.
func trivyConfig(t *testing.T, bin, dir, severity string) scan {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "config",
		"--exit-code", "1", "--severity", severity, "--format", "json",
		"--skip-check-update", "--skip-version-check", "--disable-telemetry",
		"--cache-dir", t.TempDir(), "--timeout", "5m", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	s := scan{took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		s.exit = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v\n%s", cmd.Args, err, stderr.String())
	}
	// Offline means the embedded checks: trivy must not try the bundle
	// registry (it logs "Falling back to embedded checks" and goes on).
	if strings.Contains(stderr.String(), "Downloading the checks bundle") {
		t.Errorf("%v tried to download the checks bundle:\n%s", cmd.Args, stderr.String())
	}
	var report struct {
		Results []struct {
			Target            string
			Misconfigurations []finding
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil || (s.exit != 0 && s.exit != 1) {
		t.Fatalf("%v: exit %d, report %v\nstderr:\n%s", cmd.Args, s.exit, err, stderr.String())
	}
	for _, r := range report.Results {
		for _, f := range r.Misconfigurations {
			f.Target, f.ID = r.Target, normID(f.ID)
			s.findings = append(s.findings, f)
		}
	}
	t.Logf("trivy config --severity %s %s: exit %d, %d findings, %s", severity, filepath.Base(dir), s.exit, len(s.findings), s.took.Round(time.Millisecond))
	return s
}

var ksvID = regexp.MustCompile(`KSV-?0*([0-9]+)$`)

// normID writes a Kubernetes check ID as Trivy v0.74's checks do, KSV-0017,
// whatever alias form (KSV017, AVD-KSV-0017) the report used.
func normID(id string) string {
	if m := ksvID.FindStringSubmatch(id); m != nil {
		n, _ := strconv.Atoi(m[1])
		return fmt.Sprintf("KSV-%04d", n)
	}
	return id
}

// renderTo writes each env's rendering of root to dir/<env>.yaml.
func renderTo(t *testing.T, root, dir string, envs ...string) {
	t.Helper()
	for _, env := range envs {
		out, err := Render(context.Background(), root, env, fakeImage)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, env+".yaml"), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The three overlays pass the HIGH/CRITICAL gate, and keep no lower finding
// but the accepted ones.
func TestTrivyPassesTheOverlays(t *testing.T) {
	bin := trivyBinary(t)
	dir := t.TempDir()
	renderTo(t, manifestsDir, dir, envs...)
	gate := trivyConfig(t, bin, dir, "HIGH,CRITICAL")
	if gate.exit != 0 || len(gate.findings) != 0 {
		t.Errorf("trivy config --severity HIGH,CRITICAL = exit %d, want 0; findings:\n%s", gate.exit, lines(gate.findings))
	}
	all := trivyConfig(t, bin, dir, "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL")
	perEnv := map[string][]string{}
	for _, f := range all.findings {
		perEnv[f.Target] = append(perEnv[f.Target], f.ID+" "+f.Severity)
		if _, ok := accepted[f.ID]; !ok {
			t.Errorf("new finding (fix it, or accept it in trivy_test.go and manifests/README.md): %s", f)
		}
	}
	for target, ids := range perEnv {
		t.Logf("%s: %s", target, strings.Join(ids, ", "))
	}
}

// The bad overlay (testdata/bad-overlay on top of the real base) fails the
// gate, and the report names what is wrong with it.
func TestTrivyFailsTheBadOverlay(t *testing.T) {
	bin := trivyBinary(t)
	root := t.TempDir()
	if err := os.CopyFS(filepath.Join(root, "base"), os.DirFS(filepath.Join(manifestsDir, "base"))); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(root, "overlays", "bad"), os.DirFS(filepath.Join("testdata", "bad-overlay"))); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	renderTo(t, root, dir, "bad")
	gate := trivyConfig(t, bin, dir, "HIGH,CRITICAL")
	if gate.exit != 1 {
		t.Errorf("trivy config --severity HIGH,CRITICAL on the bad overlay = exit %d, want 1", gate.exit)
	}
	t.Logf("bad overlay, HIGH and CRITICAL:\n%s", lines(gate.findings))
	wantIDs(t, gate, map[string]string{
		"KSV-0017": "privileged",
		"KSV-0005": "SYS_ADMIN added",
		"KSV-0119": "NET_RAW added",
		"KSV-0009": "host network",
		"KSV-0010": "host PID",
		"KSV-0014": "writable root filesystem",
	})
	all := trivyConfig(t, bin, dir, "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL")
	wantIDs(t, all, map[string]string{
		"KSV-0012": "runs as root",
		"KSV-0105": "runAsUser 0",
		"KSV-0001": "privilege escalation allowed",
		"KSV-0011": "no CPU limit",
		"KSV-0018": "no memory limit",
		"KSV-0015": "no CPU request",
		"KSV-0016": "no memory request",
	})
}

func wantIDs(t *testing.T, s scan, want map[string]string) {
	t.Helper()
	got := map[string]bool{}
	for _, f := range s.findings {
		got[f.ID] = true
	}
	for id, what := range want {
		if !got[id] {
			t.Errorf("trivy did not report %s (%s); findings:\n%s", id, what, lines(s.findings))
		}
	}
}

func lines(fs []finding) string {
	var sb strings.Builder
	for _, f := range fs {
		sb.WriteString("  " + f.String() + "\n")
	}
	return sb.String()
}

func TestNormID(t *testing.T) {
	for in, want := range map[string]string{"KSV017": "KSV-0017", "AVD-KSV-0017": "KSV-0017", "KSV-0125": "KSV-0125", "KSV0125": "KSV-0125", "DS002": "DS002"} {
		if got := normID(in); got != want {
			t.Errorf("normID(%q) = %q, want %q", in, got, want)
		}
	}
}
