package report

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// fanOutErr is the error of fan-out step s on one line of at most n
// characters, for its note, or "" when the message does not name one of
// its items as the engine writes it: "2 of 4 items failed: item darwin,
// 1.26 (#2): exit code 3 …; also failed: item windows, 1.26 (#3)". Cut in
// its middle, the whole message lost the leading item's name with its
// message, and a rollout that stopped kept only the end of some stderr.
// So the parts give way in turn, those shown elsewhere first: the leading
// item's own message (its row and the run's error line show it whole),
// cut to the room the rest leaves, else left out; the count of items
// cancelled besides (the note counts them before); the class; then what
// comes before the item's name (why a rollout stopped, cut in its
// middle). The items that failed are named last to go. An error that
// names one item and nothing more is left to oneLine: its message is all
// it says, and an item without a label has no row to show it.
func fanOutErr(s *Step, n int) string {
	msg := s.Error.Message
	at, name, body := -1, "", ""
	for i := range s.Items {
		it := &s.Items[i]
		ref := itemRef(it)
		for _, m := range []string{errMessage(it.Error), it.Reason} {
			if m == "" {
				continue
			}
			if j := strings.Index(msg, ref+": "+m); j >= 0 && (at < 0 || j < at) {
				at, name, body = j, ref, m
			}
		}
	}
	if at < 0 || at == 0 && cancelledRE.ReplaceAllString(msg[at+len(name)+2+len(body):], "") == "" {
		// No error of this form, or one that names a single item and
		// says nothing more: its message is all it has to say.
		return ""
	}
	runes := utf8.RuneCountInString
	class, head := s.Error.Class+": ", flat(msg[:at]+name)
	tail := flat(msg[at+len(name)+2+len(body):])
	if room := n - runes(class+head+": "+tail); room >= minNoteBody {
		return class + head + ": " + oneLine(body, room) + tail
	}
	if runes(class+head+tail) <= n {
		return class + head + tail
	}
	tail = cancelledRE.ReplaceAllString(tail, "")
	if runes(class+head+tail) > n {
		class = ""
	}
	if room := n - runes(tail) - runes(name); runes(head+tail) > n && room >= minNotePrefix {
		// Cut what comes before the item's name, never the name: cut in
		// the middle of the whole, the note lost the first item that
		// failed.
		head = clipPrefix(flat(msg[:at]), room) + name
	} else if runes(head+tail) > n {
		head = midClip(head, max(n-runes(tail), minNoteBody))
	}
	return midClip(class+head+tail, n)
}

// minNoteBody is the fewest characters of an item's message fanOutErr
// shows: fewer say nothing.
const minNoteBody = 40

// minNotePrefix is the fewest characters fanOutErr keeps of what comes
// before the leading item's name ("3 of 300 … "): fewer say nothing of
// what happened to the fan-out.
const minNotePrefix = 12

// cancelledRE is the end of a fan-out's error that counts its items
// cancelled besides.
var cancelledRE = regexp.MustCompile(` \(\d+ other items? cancelled\)$`)

// itemRef names an item as the engine's errors do: "item web-2 (#1)" by
// its label, "item 3" without one.
func itemRef(it *Item) string {
	if it.Label == "" {
		return fmt.Sprintf("item %d", it.Index)
	}
	return fmt.Sprintf("item %s (#%d)", it.Label, it.Index)
}

func errMessage(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Message
}

// flat is s cleaned for one line, its line breaks and tabs as spaces.
func flat(s string) string {
	return strings.NewReplacer("\n", " ", "\t", " ").Replace(plainText(s))
}

// clipPrefix keeps the start of s, what happened to the fan-out, in at
// most n characters, cut between words and ended by " … " when it is
// cut.
func clipPrefix(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	h := string(r[:max(n-3, 0)])
	if i := strings.LastIndexByte(h, ' '); i > 0 {
		h = h[:i]
	}
	return strings.TrimRight(h, " :;,") + " … "
}
