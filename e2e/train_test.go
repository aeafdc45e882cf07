//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferryml/ferry/pipelines/lineage"
	"github.com/ferryml/ferry/pipelines/mlflow"
)

// Training twice gives identical metrics, and the second call is a cache
// hit: metrics.json records the seconds training took, which a second run
// could not reproduce to the millisecond.
func TestTrainDeterministicAndCached(t *testing.T) {
	e := testbedEnv(t)
	for _, model := range []string{"baseline", "candidate"} {
		first := call(t, e, "train", "--model="+model, "metrics", "contents")
		start := time.Now()
		second := call(t, e, "train", "--model="+model, "metrics", "contents")
		t.Logf("%s: second train call took %s", model, time.Since(start).Round(time.Millisecond))
		if first != second {
			t.Errorf("train --model=%s: metrics differ between two calls:\n%s\n---\n%s", model, first, second)
		}
		var m struct {
			Accuracy float64 `json:"accuracy"`
			F1Macro  float64 `json:"f1_macro"`
			RocAUC   float64 `json:"roc_auc_ovr_macro"`
		}
		if err := json.Unmarshal([]byte(first), &m); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: accuracy %.4f, macro F1 %.4f, ROC AUC %.4f", model, m.Accuracy, m.F1Macro, m.RocAUC)
		call(t, e, "train", "--model="+model, "assert")
	}
	if r := callResult(t, e, true, "train", "--model=forest", "metrics", "contents"); r.err == nil || !strings.Contains(r.stderr, `unknown model "forest"`) {
		t.Errorf("train --model=forest = %v, want an error naming the model\n%s", r.err, tail(r.stderr, 10))
	}
}

// A checkout that differs only in its README trains from the cache.
func TestReadmeChangeDoesNotRetrain(t *testing.T) {
	e := testbedEnv(t)
	want := call(t, e, "train", "--model=baseline", "metrics", "contents")
	dir := copyCheckout(t)
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("# changed for TestReadmeChangeDoesNotRetrain\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dagger", "--progress=plain", "call", "--image-lock="+e.imageLock,
		"--pip-index-url="+e.pipIndex, "--goproxy="+e.goproxy, "train", "--model=baseline", "metrics", "contents")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("train in the copied checkout: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("metrics after a README change differ (training ran again):\n%s\n---\n%s", got, want)
	}
}

// copyCheckout copies the files git tracks (and the untracked ones it does
// not ignore) into a temporary folder.
func copyCheckout(t *testing.T) string {
	t.Helper()
	src := root(t)
	out, err := exec.Command("git", "-C", src, "ls-files", "--cached", "--others", "--exclude-standard", "-z").Output()
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		fi, err := os.Stat(filepath.Join(src, f))
		if err != nil {
			continue // deleted in the working tree
		}
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// Same bytes and mode: content hashes cover both.
		if err := os.WriteFile(p, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// Registering the same training twice gives one version, with the lineage
// tags and the challenger alias, as MLflow's REST API shows.
func TestRegisterTwiceGivesOneVersion(t *testing.T) {
	e := testbedEnv(t)
	store := "ferry-mlflow-e2e-" + nonce(t)
	type registration struct {
		Version       string
		VersionReused bool
	}
	reg := func() registration {
		var r registration
		out := call(t, e, "train", "--model=candidate", "register", "--mlflow-store="+store, "json")
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("register printed %q: %v", out, err)
		}
		return r
	}
	first, second := reg(), reg()
	if first.Version != "1" || first.VersionReused || second.Version != "1" || !second.VersionReused {
		t.Fatalf("register twice = %+v then %+v; want version 1 created, then version 1 reused", first, second)
	}

	url := upMlflow(t, e, store)
	ctx := context.Background()
	c, err := mlflow.New(url)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := c.SearchModelVersions(ctx, mlflow.Search{Filter: "name='diamonds'"})
	if err != nil || len(versions) != 1 {
		t.Fatalf("versions of diamonds = %d, %v; want exactly 1", len(versions), err)
	}
	v, err := c.GetModelVersionByAlias(ctx, "diamonds", "challenger")
	if err != nil || v.Version != "1" {
		t.Fatalf("challenger = %+v, %v; want version 1", v, err)
	}
	head, err := exec.Command("git", "-C", root(t), "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(root(t), "models", "requirements", "train.lock"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	want := map[string]string{
		lineage.TagGitSHA:           strings.TrimSpace(string(head)),
		lineage.TagRequirementsHash: hex.EncodeToString(sum[:]),
	}
	for k, w := range want {
		if got, _ := v.Tag(k); got != w {
			t.Errorf("version tag %s = %q, want %q", k, got, w)
		}
	}
	for _, k := range []string{lineage.TagKey, lineage.TagDataHash, lineage.TagTrainingImageDigest} {
		if got, ok := v.Tag(k); !ok || got == "" {
			t.Errorf("version tag %s missing", k)
		}
	}
	settings, err := c.ReadArtifact(ctx, v.Source, "model-settings.json")
	if err != nil || !strings.Contains(string(settings), "mlserver_sklearn.SKLearnModel") {
		t.Errorf("model-settings.json from the artifact store = %q, %v", settings, err)
	}
}

// The models' pytest suite passes in the training image (the +check).
func TestModelsCheck(t *testing.T) {
	e := testbedEnv(t)
	out := call(t, e, "test-models")
	if !strings.Contains(out, " passed") || strings.Contains(out, "failed") {
		t.Errorf("test-models = %q, want the suite to pass", out)
	}
}
