package mlflowtest

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ferryml/ferry/pipelines/procgroup"
)

// ownsListener reports whether a process in group pgid holds the socket listening on
// 127.0.0.1:port (procgroup.OwnsListener). Where /proc/net/tcp is missing (not Linux)
// it falls back to uvicorn's own "running on" line in the log written since logOffset.
func ownsListener(pgid, port int, logPath string, logOffset int64) (bool, error) {
	owned, err := procgroup.OwnsListener(pgid, port)
	if errors.Is(err, os.ErrNotExist) {
		b, _ := os.ReadFile(logPath)
		if int64(len(b)) < logOffset {
			return false, nil
		}
		return strings.Contains(string(b[logOffset:]), fmt.Sprintf("running on http://127.0.0.1:%d ", port)), nil
	}
	return owned, err
}
