package pyvenv

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFindPythonWithoutPython(t *testing.T) {
	t.Setenv("FERRY_PYTHON", filepath.Join(t.TempDir(), "no-such-python"))
	if _, err := FindPython(); !errors.Is(err, ErrNoPython) {
		t.Errorf("FindPython() with a missing interpreter = %v, want ErrNoPython", err)
	}
}

func TestCompleteAndTail(t *testing.T) {
	dir := t.TempDir()
	if Complete(dir) {
		t.Errorf("Complete(empty dir) = true, want false")
	}
	if err := os.WriteFile(filepath.Join(dir, marker), []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !Complete(dir) {
		t.Errorf("Complete(dir with marker) = false, want true")
	}
	log := filepath.Join(dir, "build.log")
	if err := os.WriteFile(log, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Tail(log, 2); got != "b\nc" {
		t.Errorf("Tail(log, 2) = %q, want %q", got, "b\nc")
	}
}

func TestBuildReportsTheFailingStep(t *testing.T) {
	dir := t.TempDir()
	err := Build("/bin/false", dir, []byte("x==1\n"), "note")
	if err == nil || Complete(dir) {
		t.Fatalf("Build(with a failing python) = %v, complete %v; want an error and no marker", err, Complete(dir))
	}
}
