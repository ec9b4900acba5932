package notify

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// cutNote is what stands where a message's middle was cut to fit its
// chat service: how much of the text was left out and where it all is.
// A text built from a step's output (the end of a log, a command's
// stderr) is whole in the run's report.
func cutNote(n int) string {
	return "\n… " + strconv.Itoa(n) + " bytes cut; the run's report has the steps' whole outputs …\n"
}

// midCut is s in at most n units, each rune taking size(r) of them: s
// itself when it fits, else its head, cutNote and its tail. The tail,
// where a log's newest lines and an error's cause are, keeps two thirds
// of the room; the head, which says what the message is about, the
// rest. Each cut moves to a line's end when one is near, so that no
// line is shown in part.
func midCut(s string, n int, size func(rune) int) string {
	total := 0
	for _, r := range s {
		total += size(r)
	}
	if total <= n {
		return s
	}
	noteSize := 0
	for _, r := range cutNote(len(s)) { // as long as any count of s
		noteSize += size(r)
	}
	room := n - noteSize
	if room <= 0 {
		return ""
	}
	headRoom := room / 3
	head, used := 0, 0 // bytes of s, units
	for head < len(s) {
		r, w := utf8.DecodeRuneInString(s[head:])
		if used+size(r) > headRoom {
			break
		}
		used, head = used+size(r), head+w
	}
	tailRoom := room - used
	tail, used := len(s), 0 // tail starts at byte tail
	for tail > head {
		r, w := utf8.DecodeLastRuneInString(s[:tail])
		if used+size(r) > tailRoom {
			break
		}
		used, tail = used+size(r), tail-w
	}
	const near = 80 // bytes a cut moves to fall at a line's end
	if i := strings.LastIndexByte(s[:head], '\n'); i >= 0 && head-i <= near {
		head = i
	}
	if i := strings.IndexByte(s[tail:], '\n'); i >= 0 && i < near && tail+i+1 < len(s) {
		tail += i + 1
	}
	return s[:head] + cutNote(tail-head) + s[tail:]
}

// chars is the size of a rune where a limit counts characters.
func chars(rune) int { return 1 }

// slackChars is the size of a rune in Slack's mrkdwn, where slackEscape
// writes &, < and > as entities.
func slackChars(r rune) int {
	switch r {
	case '&':
		return len("&amp;")
	case '<', '>':
		return len("&lt;")
	}
	return 1
}
