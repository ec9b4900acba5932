package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// heldFile is an audit log's file whose writes each wait for the test to
// let them go on.
type heldFile struct {
	*os.File
	writing chan struct{} // a write has begun
	release chan struct{} // let it go on
}

func (f *heldFile) Write(b []byte) (int, error) {
	f.writing <- struct{}{}
	<-f.release
	return f.File.Write(b)
}

// TestAuditWaitersWakeOnce: writers whose lines wait for a write under
// way are woken once each, when their own batch is written (or, for the
// one that writes the next batch, when the write before it is done), not
// all of them at every batch's end to take the log's lock in turn and look
// whether it was theirs: a herd that held every answer of a busy server
// behind the lock.
func TestAuditWaitersWakeOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	a, err := OpenAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	f := &heldFile{File: a.f.(*os.File), writing: make(chan struct{}), release: make(chan struct{})}
	a.f = f
	var woken atomic.Int32
	auditWoken = func() { woken.Add(1) }
	defer func() { auditWoken = func() {} }()

	var wg sync.WaitGroup
	line := func(id string) {
		if err := a.Action(AuditLine{RunID: id}); err != nil {
			t.Error(err)
		}
	}
	wg.Go(func() { line("first") })
	<-f.writing // the first line's write is under way
	const waiting = 8
	for i := range waiting {
		wg.Go(func() { line(fmt.Sprint("w", i)) })
	}
	// Wait until every line has joined the next batch.
	for {
		a.mu.Lock()
		n := 0
		if a.next != nil {
			n = len(a.next.buf)
		}
		a.mu.Unlock()
		if n > 0 && countLines(a) == waiting {
			break
		}
		runtime.Gosched()
	}
	f.release <- struct{}{}
	<-f.writing // the next batch's write
	// Its other lines' writers have gone back to waiting (or never
	// stopped) before it ends.
	for parkedWriters() < waiting-1 {
		runtime.Gosched()
	}
	f.release <- struct{}{}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := len(auditRuns(t, path)); got != waiting+1 {
		t.Fatalf("%d lines in the log, want %d", got, waiting+1)
	}
	if n := woken.Load(); n > waiting {
		t.Errorf("writers were woken %d times for %d waiting lines; want each once", n, waiting)
	}
}

// parkedWriters is the number of goroutines parked in AuditLog.write.
func parkedWriters() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		head, _, _ := strings.Cut(g, "\n")
		parked := strings.Contains(head, "[sync.Cond.Wait") || strings.Contains(head, "[chan receive") || strings.Contains(head, "[select")
		if parked && strings.Contains(g, "auth.(*AuditLog).write(") {
			n++
		}
	}
	return n
}

// countLines is the number of lines gathered for the next write.
func countLines(a *AuditLog) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next == nil {
		return 0
	}
	n := 0
	for _, c := range a.next.buf {
		if c == '\n' {
			n++
		}
	}
	return n
}
