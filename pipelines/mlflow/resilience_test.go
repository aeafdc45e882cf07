package mlflow

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// dropper forwards requests to a real server but, for the first request to each path in
// drop, throws the server's answer away and cuts the connection: the server did the work,
// the client never hears of it.
type dropper struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	drop  map[string]bool
	seen  map[string]int // requests forwarded, by path
}

func newDropper(t *testing.T, upstream string, paths ...string) (*dropper, string) {
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	d := &dropper{proxy: httputil.NewSingleHostReverseProxy(u), drop: map[string]bool{}, seen: map[string]int{}}
	for _, p := range paths {
		d.drop["/api/2.0"+p] = true
	}
	ts := httptest.NewServer(d)
	t.Cleanup(ts.Close)
	return d, ts.URL
}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.seen[r.URL.Path]++
	drop := d.drop[r.URL.Path]
	d.drop[r.URL.Path] = false
	d.mu.Unlock()
	if !drop {
		d.proxy.ServeHTTP(w, r)
		return
	}
	d.proxy.ServeHTTP(httptest.NewRecorder(), r) // the server commits; the answer is lost
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

func (d *dropper) count(path string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.seen["/api/2.0"+path]
}

// TestLostResponsesDoNotDuplicate: every create call loses its first answer after the
// server carried it out; the retries must not create anything twice.
func TestLostResponsesDoNotDuplicate(t *testing.T) {
	srv := realServer(t)
	d, url := newDropper(t, srv.URL, epCreateExperiment.path, epCreateRun.path,
		epCreateRegisteredModel.path, epCreateModelVersion.path, epLogBatch.path)
	c := testClient(t, url)
	direct := testClient(t, srv.URL)
	ctx := testCtx(t)
	name := unique(t)

	exp, err := c.GetOrCreateExperiment(ctx, name)
	if err != nil {
		t.Fatalf("GetOrCreateExperiment() with a lost answer = %v", err)
	}
	run, err := c.CreateRun(ctx, exp.ID, "train")
	if err != nil {
		t.Fatalf("CreateRun() with a lost answer = %v", err)
	}
	if err := c.LogBatch(ctx, run.Info.RunID, Batch{Params: []Param{{"alpha", "1"}}, Metrics: []Metric{{Key: "acc", Value: 0.9}}}); err != nil {
		t.Fatalf("LogBatch() with a lost answer = %v", err)
	}
	if _, err := c.EnsureRegisteredModel(ctx, name, ""); err != nil {
		t.Fatalf("EnsureRegisteredModel() with a lost answer = %v", err)
	}
	if err := c.UploadArtifact(ctx, run.Info.ArtifactURI, "model/MLmodel", bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	v, err := c.CreateModelVersion(ctx, ModelVersionSpec{Name: name, Source: run.Info.ArtifactURI + "/model", RunID: run.Info.RunID})
	if err != nil {
		t.Fatalf("CreateModelVersion() with a lost answer = %v", err)
	}

	runs, err := direct.SearchRuns(ctx, []string{exp.ID}, Search{})
	if err != nil || len(runs) != 1 || runs[0].Info.RunID != run.Info.RunID {
		t.Errorf("runs in experiment after a lost create = %d, %v, want just %s", len(runs), err, run.Info.RunID)
	}
	versions, err := direct.SearchModelVersions(ctx, Search{Filter: "name = " + quote(name)})
	if err != nil || len(versions) != 1 || versions[0].Version != v.Version {
		t.Errorf("versions of %s after a lost create = %d, %v, want just %s", name, len(versions), err, v.Version)
	}
	for _, p := range []string{epCreateRun.path, epCreateModelVersion.path} {
		if n := d.count(p); n != 1 {
			t.Errorf("%s reached the server %d times, want 1 (the retry should find the lost result)", p, n)
		}
	}
}

// TestServerRestartMidRun stops the server in the middle of a run, lets the pipeline's
// next calls fail against the dead port while the server restarts on the same store, and
// checks that they all get through with nothing duplicated.
func TestServerRestartMidRun(t *testing.T) {
	srv := exclusiveServer(t) // the store survives: other tests' data is still there after
	c := testClient(t, srv.URL, WithRetries(200), WithBackoff(50*time.Millisecond, time.Second))
	ctx := testCtx(t)
	name := unique(t)
	exp, err := c.GetOrCreateExperiment(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.CreateRun(ctx, exp.ID, "train")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnsureRegisteredModel(ctx, name, ""); err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	done := make(chan error, 1)
	var version *ModelVersion
	go func() { // the rest of the pipeline, running into the outage
		var err error
		version, err = finishPipeline(ctx, c, run, name)
		done <- err
	}()
	time.Sleep(time.Second) // let the calls above fail a few times first
	srv.Restart(t)
	t.Logf("server restarted in %s", srv.Started)
	if err := <-done; err != nil {
		t.Fatalf("pipeline across a server restart = %v", err)
	}
	if _, err := finishPipeline(ctx, c, run, name); err != nil { // a re-run of the same step
		t.Fatalf("pipeline re-run = %v", err)
	}

	runs, err := c.SearchRuns(ctx, []string{exp.ID}, Search{})
	if err != nil || len(runs) != 1 {
		t.Errorf("runs after restart = %d, %v, want 1", len(runs), err)
	}
	versions, err := c.SearchModelVersions(ctx, Search{Filter: "name = " + quote(name)})
	if err != nil || len(versions) != 1 {
		t.Errorf("model versions after restart and re-run = %d, %v, want 1", len(versions), err)
	}
	got, err := c.GetRun(ctx, run.Info.RunID)
	if err != nil || got.Info.Status != RunFinished || first(got.Param("alpha")) != "0.5" {
		t.Errorf("run after restart = %+v, %v, want FINISHED with alpha=0.5", got, err)
	}
	champion, err := c.GetModelVersionByAlias(ctx, name, "champion")
	if err != nil || champion.Version != version.Version {
		t.Errorf("GetModelVersionByAlias(champion) = %+v, %v, want version %s", champion, err, version.Version)
	}
}

// finishPipeline is what a training pipeline does after training: log, store the model,
// register it once, point an alias at it, end the run.
func finishPipeline(ctx context.Context, c *Client, run *Run, model string) (*ModelVersion, error) {
	err := c.LogBatch(ctx, run.Info.RunID, Batch{
		Params: []Param{{"alpha", "0.5"}}, Metrics: []Metric{{Key: "acc", Value: 0.9, Timestamp: 1}},
	})
	if err != nil {
		return nil, err
	}
	if err := c.UploadArtifact(ctx, run.Info.ArtifactURI, "model/MLmodel", bytes.NewReader([]byte("flavors: {}\n"))); err != nil {
		return nil, err
	}
	v, err := c.EnsureModelVersion(ctx, ModelVersionSpec{Name: model, Source: run.Info.ArtifactURI + "/model", RunID: run.Info.RunID})
	if err != nil {
		return nil, err
	}
	if v, err = c.WaitModelVersionReady(ctx, model, v.Version); err != nil {
		return nil, err
	}
	if err := c.SetAlias(ctx, model, "champion", v.Version); err != nil {
		return nil, err
	}
	return v, c.SetTerminated(ctx, run.Info.RunID, RunFinished)
}
