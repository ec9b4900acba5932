package cli

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestConfirmDropsLinesReadTogetherBeforeTheQuestion: lines that came in
// one read while no question was shown (a paste, a pipe) are all typed
// before the next question, however long the reader holds them; none of
// them answers it.
func TestConfirmDropsLinesReadTogetherBeforeTheQuestion(t *testing.T) {
	in, typing := io.Pipe()
	defer typing.Close()
	out := newNotifyWriter()
	c := &terminalConfirmer{in: bufio.NewReader(in), out: out}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan struct{})
	go func() {
		c.Confirm(ctx, "one", "First?")
		close(first)
	}()
	for !strings.Contains(out.String(), "First?") {
		<-out.wrote
	}
	cancel()
	<-first
	// Both lines arrive in one write while no question is shown.
	io.WriteString(typing, "y\nyes\n")
	time.Sleep(50 * time.Millisecond)
	second := make(chan bool, 1)
	go func() {
		ok, _ := c.Confirm(context.Background(), "two", "Second?")
		second <- ok
	}()
	for !strings.Contains(out.String(), "Second?") {
		<-out.wrote
	}
	io.WriteString(typing, "no\n")
	select {
	case ok := <-second:
		if ok {
			t.Error("a line typed before the question confirmed it")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
}
