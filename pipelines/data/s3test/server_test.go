package s3test

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/ferryml/ferry/pipelines/data/source"
)

func TestServer(t *testing.T) {
	s := Start(t)
	port, err := findListening(s.PID)
	if err != nil {
		t.Fatalf("findListening(%d) error %v", s.PID, err)
	}
	if want := fmt.Sprintf("http://127.0.0.1:%d", port); s.Endpoint != want {
		t.Fatalf("Endpoint = %s, but pid %d listens at %s", s.Endpoint, s.PID, want)
	}
	s.CreateBucket(t, "data")
	s.Put(t, "data", "dir/hello.txt", []byte("hello"))
	if _, err := os.Stat(s.Dir + "/data/dir/hello.txt"); err != nil {
		t.Errorf("object not in the posix backend: %v", err)
	}
	obj, err := source.Open(context.Background(), "s3://data/dir/hello.txt", source.WithS3(s.S3()))
	if err != nil {
		t.Fatalf("Open(s3://data/dir/hello.txt) error %v", err)
	}
	defer obj.Body.Close()
	b, _ := io.ReadAll(obj.Body)
	if string(b) != "hello" || obj.Size != 5 || obj.ETag == "" {
		t.Errorf("Open(s3://data/dir/hello.txt) = %q, %+v, want hello with size 5 and an ETag", b, obj.Info)
	}
}

func TestFindListeningIgnoresOtherProcesses(t *testing.T) {
	// Our own test process listens on nothing: a server elsewhere must not count.
	if port, err := findListening(os.Getpid()); err == nil {
		t.Errorf("findListening(self) = %d, want no listening socket", port)
	}
}
