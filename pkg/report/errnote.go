package report

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// errNote is the error e of step s on one line of at most n characters,
// for the step's row (oneLine). An error that does not fit first gives up,
// in turn, what the row and the log line already say: the playbook
// position it starts with ("pb/x.yaml:39:17: "), then the "step ID: "
// that names the row's step, then the "OP: " that names its operation;
// only then is it cut in its middle. So the end, which says what to do
// ("start it with http:// or https://, like …"), keeps more of its room.
// An error of several lines, or one that names no position, is oneLine's.
func errNote(s *Step, e *Error, n int) string {
	text := errText(e)
	if e == nil || lineLen(text) <= n {
		return oneLine(text, n)
	}
	if strings.Contains(strings.TrimSpace(e.Message), "\n") || !filePos.MatchString(e.Message) {
		// Lines of output (stderr's last ones), or an error not of
		// the playbook's: oneLine's first and last lines, as ever.
		return oneLine(text, n)
	}
	msg := filePos.ReplaceAllString(e.Message, "")
	for _, lead := range []string{"", "step " + s.ID + ": ", s.Op + ": "} {
		if lead != "" && s.ID != "" && s.Op != "" {
			msg = strings.TrimPrefix(msg, lead)
		}
		if text = e.Class + ": " + msg; lineLen(text) <= n {
			break
		}
	}
	return adviceClip(oneLine(text, 1<<20), n)
}

// adviceClip is the one-line s in n characters. When its last clause,
// after the last "; ", says what to do and fits with room to spare, s
// keeps it whole and as many words before it as fit, from the end, which
// say what failed: "… has no scheme; start it with http:// or https://,
// like …". Otherwise s is cut in its middle (midClip).
func adviceClip(s string, n int) string {
	i := strings.LastIndex(s, "; ")
	if utf8.RuneCountInString(s) <= n || i < 0 || utf8.RuneCountInString(s[i:])+minNoteHead > n {
		return midClip(s, n)
	}
	words := strings.Fields(s[:i])
	from := len(words)
	for from > 0 && utf8.RuneCountInString(strings.Join(words[from-1:], " ")+s[i:])+2 <= n {
		from--
	}
	if from == len(words) {
		return midClip(s, n)
	}
	return "… " + strings.Join(words[from:], " ") + s[i:]
}

// minNoteHead is how many characters of what failed a note keeps before
// the clause that says what to do, for adviceClip to keep that whole.
const minNoteHead = 12

// filePos matches the playbook position an error starts with, as
// file:line:column: and a space.
var filePos = regexp.MustCompile(`^[^\s:]+:\d+:\d+: `)

// lineLen is how many characters s takes as oneLine puts it on one line
// with room enough.
func lineLen(s string) int { return utf8.RuneCountInString(oneLine(s, 1<<20)) }
