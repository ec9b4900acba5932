package auth

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fillingFile is an audit log's file on a disk with room bytes left: a
// write past them writes what fits and fails with ENOSPC, as write(2)
// does. truncErr, when set, is what Truncate returns.
type fillingFile struct {
	*os.File
	room     int
	truncErr error
}

func (f *fillingFile) Write(b []byte) (int, error) {
	if len(b) <= f.room {
		f.room -= len(b)
		return f.File.Write(b)
	}
	n, err := f.File.Write(b[:f.room])
	f.room -= n
	if err == nil {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

func (f *fillingFile) Truncate(size int64) error {
	if f.truncErr != nil {
		return f.truncErr
	}
	return f.File.Truncate(size)
}

// auditRuns reads the log at path as JSON lines and returns each line's
// run_id, or "?" for a line that is not a record.
func auditRuns(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		var line AuditLine
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			ids = append(ids, "?")
			continue
		}
		ids = append(ids, line.RunID)
	}
	return ids
}

// TestAuditLineCutShortDoesNotSpoilTheNext: a disk that fills up in the
// middle of a line leaves its start in the file. The line fails; once
// there is room again, the next line must be a record of its own, not the
// tail of that start, which no reader of JSON lines can read.
func TestAuditLineCutShortDoesNotSpoilTheNext(t *testing.T) {
	for _, tc := range []struct {
		name     string
		truncErr error
		want     []string
	}{
		{name: "the part is cut off", want: []string{"r1", "r3"}},
		// A file that cannot be truncated keeps the part, as a line
		// of its own.
		{name: "the part stays", truncErr: syscall.EPERM, want: []string{"r1", "?", "r3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "audit.log")
			audit, err := OpenAudit(path)
			if err != nil {
				t.Fatal(err)
			}
			defer audit.Close()
			if err := audit.Action(AuditLine{RunID: "r1"}); err != nil {
				t.Fatal(err)
			}
			disk := &fillingFile{File: audit.f.(*os.File), room: 30, truncErr: tc.truncErr}
			audit.f = disk
			err = audit.Action(AuditLine{RunID: "r2"})
			if err == nil || !strings.Contains(err.Error(), "no space left on device") {
				t.Fatalf("a line that did not fit: err = %v, want no space left on device", err)
			}
			disk.room = 1 << 20 // space freed
			if err := audit.Action(AuditLine{RunID: "r3"}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, auditRuns(t, path)); diff != "" {
				t.Errorf("records in the log (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuditLineCutShortTwice: a line cut short again while the part of an
// earlier one stays leaves both parts apart from the records.
func TestAuditLineCutShortTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	audit, err := OpenAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	disk := &fillingFile{File: audit.f.(*os.File), room: 20, truncErr: syscall.EPERM}
	audit.f = disk
	if err := audit.Action(AuditLine{RunID: "r1"}); err == nil {
		t.Fatal("a line that did not fit was written")
	}
	disk.room = 10
	if err := audit.Action(AuditLine{RunID: "r2"}); err == nil {
		t.Fatal("a line that did not fit was written")
	}
	disk.room = 1 << 20
	if err := audit.Action(AuditLine{RunID: "r3"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"?", "?", "r3"}, auditRuns(t, path)); diff != "" {
		t.Errorf("records in the log (-want +got):\n%s", diff)
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasSuffix(data, []byte("\n")) {
		t.Errorf("the log does not end with a newline: %q", data)
	}
}
