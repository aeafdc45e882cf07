package s3test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// listeningPort waits until process pid has a listening TCP socket and returns its
// port. It matches the socket inodes in /proc/<pid>/fd against the LISTEN entries of
// /proc/<pid>/net/tcp{,6}, so the port found is one the process we started holds —
// not another server that happens to answer on some port.
func listeningPort(pid int, limit time.Duration) (int, error) {
	deadline := time.Now().Add(limit)
	for {
		port, err := findListening(pid)
		if err == nil {
			return port, nil
		}
		if _, statErr := os.Stat(fmt.Sprintf("/proc/%d", pid)); statErr != nil {
			return 0, fmt.Errorf("process exited: %w", statErr)
		}
		if time.Now().After(deadline) {
			return 0, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func findListening(pid int) (int, error) {
	inodes, err := socketInodes(pid)
	if err != nil {
		return 0, err
	}
	for _, table := range []string{"tcp", "tcp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" || !inodes[fields[9]] {
				continue
			}
			i := strings.LastIndexByte(fields[1], ':')
			port, err := strconv.ParseUint(fields[1][i+1:], 16, 16)
			if err == nil {
				f.Close()
				return int(port), nil
			}
		}
		f.Close()
	}
	return 0, errors.New("no listening socket yet")
}

func socketInodes(pid int) (map[string]bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range entries {
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			out[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	return out, nil
}
