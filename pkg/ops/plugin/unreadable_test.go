package plugin

import (
	"io/fs"
	"strings"
	"testing"
)

// TestUnreadableSaysWhatToDo: permission denied on a manifest or on the
// directory names the file and how to make it readable (tested here
// with the error itself: the tests may run as root, who reads anything).
func TestUnreadableSaysWhatToDo(t *testing.T) {
	denied := &fs.PathError{Op: "open", Path: "/p/greet.yaml", Err: fs.ErrPermission}
	if msg := unreadable("/p/greet.yaml", denied); !strings.Contains(msg, "chmod a+r /p/greet.yaml") || !strings.Contains(msg, "permission denied") {
		t.Errorf("manifest: %q", msg)
	}
	denied.Path = "/p"
	if err := unlisted("/p", denied); !strings.Contains(err.Error(), "chmod a+rx /p") {
		t.Errorf("directory: %v", err)
	}
}
