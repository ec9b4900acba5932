package cli

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestConfirmAsksAgainOnAnUnclearAnswer: an answer neither yes nor no
// ("ye", "yes please") is taken neither way: the question is asked again,
// naming what was typed, and the next answer decides; Enter alone is no.
func TestConfirmAsksAgainOnAnUnclearAnswer(t *testing.T) {
	for _, tc := range []struct {
		typed []string
		want  bool
	}{
		{[]string{"ye", "y"}, true},
		{[]string{"yes please", "no"}, false},
		{[]string{"o", ""}, false},
		{[]string{"YES"}, true},
		{[]string{"N"}, false},
	} {
		out := newNotifyWriter()
		in, typing := io.Pipe()
		c := &terminalConfirmer{in: in, out: &lockedWriter{w: out}}
		answered := make(chan bool, 1)
		go func() {
			ok, _ := c.Confirm(context.Background(), "danger", "Really?")
			answered <- ok
		}()
		asks := 1
		for i, line := range tc.typed {
			for strings.Count(out.String(), "(y/N)") < asks {
				<-out.wrote
			}
			io.WriteString(typing, line+"\n")
			if i < len(tc.typed)-1 {
				asks++
				for strings.Count(out.String(), "(y/N)") < asks {
					<-out.wrote
				}
				if want := "answer y or n, not \"" + strings.ToLower(line) + "\" [step danger] (y/N) "; !strings.HasSuffix(out.String(), want) {
					t.Errorf("after %q: %q, want it to end %q", line, out.String(), want)
				}
			}
		}
		if got := <-answered; got != tc.want {
			t.Errorf("typed %q: answer %v, want %v", tc.typed, got, tc.want)
		}
		typing.Close()
	}
}
