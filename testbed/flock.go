package main

import (
	"os"
	"syscall"
)

// flock takes an exclusive lock on f, waiting for another holder to let go.
func flock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
}
