package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// recentLog is a message quoting the end of a log, as an incident
// runbook sends it: what it is about first, the newest line, the cause,
// last.
func recentLog(lines int) string {
	var b strings.Builder
	b.WriteString("api was unhealthy; its recent log:\n")
	for i := 1; i <= lines; i++ {
		fmt.Fprintf(&b, "12:00:%02d worker %d: retrying the connection to db-1 <pool> & co\n", i%60, i)
	}
	b.WriteString("12:01:00 FATAL: db-1 refused the password for user app")
	return b.String()
}

// TestSlackLongTextKeepsHeadAndTail: a Slack message whose text is past
// the 3,000 characters a section takes keeps its head, which says what
// it is about, and its tail, the newest lines and the cause, around a
// note of how many bytes were cut and where all of it is, each part of
// whole lines; the fallback text too. Only its head was kept, and the
// cause lost.
func TestSlackLongTextKeepsHeadAndTail(t *testing.T) {
	text := recentLog(200)
	b, err := Body("slack", Message{Title: "incident", Text: text, Fields: map[string]string{"log": text}})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Text   string `json:"text"`
		Blocks []struct {
			Text   *struct{ Text string }  `json:"text"`
			Fields []struct{ Text string } `json:"fields"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	section, field := m.Blocks[1].Text.Text, m.Blocks[2].Fields[0].Text
	for what, c := range map[string]struct {
		s   string
		max int
	}{"section": {section, 3000}, "fallback": {m.Text, 3000}, "field": {field, 2000}} {
		if n := utf8.RuneCountInString(c.s); n > c.max {
			t.Errorf("the %s has %d characters, over Slack's %d", what, n, c.max)
		}
		if !strings.HasSuffix(c.s, "FATAL: db-1 refused the password for user app") {
			t.Errorf("the %s lost its end, the cause: …%s", what, c.s[len(c.s)-80:])
		}
		if !strings.Contains(c.s, "api was unhealthy; its recent log:") {
			t.Errorf("the %s lost its head: %.80s…", what, c.s)
		}
		i := strings.Index(c.s, "\n… ")
		var cut int
		if i < 0 || !strings.Contains(c.s, " bytes cut; the run's report has the steps' whole outputs …\n") {
			t.Fatalf("the %s has no note of the cut:\n%s", what, c.s)
		}
		fmt.Sscanf(c.s[i+len("\n… "):], "%d", &cut)
		kept := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(c.s)
		note := cutNote(cut)
		head, tail, _ := strings.Cut(strings.TrimPrefix(kept, "*log*\n"), note)
		if what == "fallback" {
			head = strings.TrimPrefix(head, "incident: ")
		}
		if !strings.HasPrefix(text, head) || !strings.HasSuffix(text, tail) || len(head)+cut+len(tail) != len(text) {
			t.Errorf("the %s: %d bytes of head, %d cut, %d of tail; want them to make the %d bytes of the text", what, len(head), cut, len(tail), len(text))
		}
		if !strings.HasSuffix(head, "co") || !strings.HasPrefix(tail, "12:") {
			t.Errorf("the %s is cut within a line: …%s|%s…", what, head[len(head)-20:], tail[:20])
		}
	}
}

func TestMidCutFits(t *testing.T) {
	s := strings.Repeat("ü<&", 500)
	for _, n := range []int{200, 201, 1000, 1499, 1500} {
		got := midCut(s, n, slackChars)
		size := 0
		for _, r := range got {
			size += slackChars(r)
		}
		if size > n || !utf8.ValidString(got) {
			t.Errorf("midCut(%d): %d units, valid %v", n, size, utf8.ValidString(got))
		}
	}
	if got := midCut("short", 10, chars); got != "short" {
		t.Errorf("a text that fits is cut: %q", got)
	}
}
