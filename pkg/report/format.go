package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// Helpers shared by the JUnit, Markdown and HTML renderers. They all read
// the report as it is: the engine masked secrets before building it, and no
// renderer looks anywhere else.

// plainText drops terminal escape sequences, control characters other
// than newline and tab, and bidirectional overrides, as the text summary
// does (termtext.Clean), so that every format shows the same text; and the
// two characters XML cannot carry, U+FFFE and U+FFFF.
func plainText(s string) string {
	s = termtext.Clean(s)
	if !strings.ContainsAny(s, "\ufffe\uffff") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, s)
}

// oneLine is a message on one line of at most n characters, for a table
// cell, a summary row or an XML attribute, keeping its reason. An error
// often says what failed on its first line and why on its last: a shell
// step's is "exit code 2 is not in ok_codes [0]; stderr ends with:" and
// then the last lines of stderr. So oneLine keeps the first line and as
// many of the last non-empty lines as fit (the very last always), with
// "…" for the lines left out between them, and cuts what is still too
// long in its middle (midClip), never at its end. Escape sequences and
// control characters are dropped (plainText); each format escapes the
// result its own way. The whole message stays where a format has room for
// it: JUnit's element text, the HTML details, Markdown's error block.
func oneLine(s string, n int) string {
	var lines []string
	for l := range strings.SplitSeq(plainText(s), "\n") {
		if l = strings.TrimSpace(strings.ReplaceAll(l, "\t", " ")); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	first := lines[0]
	if len(lines) == 1 {
		return midClip(first, n)
	}
	// Take the last lines, from the end, while they fit beside the first;
	// the last one is taken even when it does not.
	runes := utf8.RuneCountInString
	from, size := len(lines)-1, runes(lines[len(lines)-1])
	for from > 1 {
		more := runes(lines[from-1]) + 2
		if runes(first)+2+size+more > n {
			break
		}
		from, size = from-1, size+more
	}
	last := lines[from]
	for _, l := range lines[from+1:] {
		last = joinLine(last, l)
	}
	sep := joinLine(first, "")[len(first):]
	if from > 1 {
		sep = joinLine(first, "…")[len(first):] + " "
	}
	if room := n - runes(sep); runes(first)+size > room {
		// Too long even so: the last lines, the reason, keep up to two
		// thirds, more when the first line is short, and each part is cut
		// in its middle.
		keep := min(size, max(room*2/3, room-runes(first)))
		first, last = midClip(first, room-keep), midClip(last, keep)
	}
	return midClip(first+sep+last, n)
}

// OneLine is a message on one line of at most n characters, as a table's
// note shows it (oneLine), for a line of its own elsewhere: the first line
// and the last ones, which say what failed and why, escape sequences and
// control characters dropped.
func OneLine(s string, n int) string { return oneLine(s, n) }

// joinLine appends line b to a on one line: after a space when a ends with
// a colon or the "…" of lines left out, else after "; ".
func joinLine(a, b string) string {
	if strings.HasSuffix(a, ":") || strings.HasSuffix(a, "…") {
		return a + " " + b
	}
	return a + "; " + b
}

// midClip is s on one line (newlines as spaces), cut to n characters by
// replacing its middle with " … ", at spaces where there are some near the
// cut, so that both what it starts with and what it ends with (often the
// reason) stay.
func midClip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 8 {
		return string(r[:max(n-1, 0)]) + "…"
	}
	const slack = 16 // how far a cut may move to fall between words
	head := (n - 3) / 2
	tail := n - 3 - head
	h, t := string(r[:head]), string(r[len(r)-tail:])
	if i := strings.LastIndexByte(h, ' '); i >= 0 && utf8.RuneCountInString(h[i:]) <= slack {
		h = h[:i]
	}
	if i := strings.IndexByte(t, ' '); i >= 0 && utf8.RuneCountInString(t[:i]) <= slack {
		t = t[i+1:]
	}
	return strings.TrimRight(h, " ") + " … " + strings.TrimLeft(t, " ")
}

// excerpt is plainText cut to limit bytes, keeping head and tail.
func excerpt(s string, limit int) string { return CapString(plainText(s), limit) }

// stepLabel names a step the way people see it: the id, prefixed with its
// section for the handler sections, and with the step it rescues for a
// rescue step.
func stepLabel(s *Step) string {
	if s.RescueOf != "" {
		return s.RescueOf + "/rescue/" + s.ID
	}
	if s.Section != "" && s.Section != "steps" {
		return s.Section + "/" + s.ID
	}
	return s.ID
}

// stepNote is the note of a step's row in a table, in at most n
// characters: what became of its failure (rescued, or ignored by
// continue_on_error), its items' counts, its error on one line (oneLine,
// in what room the rest leaves) or the reason it did not run, and whether
// its output was reused (when withReused) or cached.
func stepNote(s *Step, n int, withReused bool) string {
	head := ""
	switch {
	case rescued(s):
		head = "rescued"
	case ignored(s):
		head = IgnoredNote
	}
	return noteOf(s, n, withReused, head)
}

// nestedNote is the note of a nested step's row: stepNote's, marked
// rescued or ignored also when the step it is nested in was, as its
// JUnit testcase is skipped then: that failure is not the run's either.
// It was not the nested step's own continue_on_error, nor its rescue
// steps, that let the run go on then, so the note names the step whose
// were: "ignored: continue_on_error of fan".
func nestedNote(ns *nestedStep, n int, withReused bool) string {
	head := ""
	switch {
	case rescued(ns.Step):
		head = "rescued"
	case ns.rescued && ns.rescuedBy != ns.Path:
		head = "rescued: rescue steps of " + ns.rescuedBy
	case ignored(ns.Step):
		head = IgnoredNote
	case ns.Excused && ns.excusedBy != ns.Path:
		head = IgnoredNote + " of " + ns.excusedBy
	}
	return noteOf(ns.Step, n, withReused, head)
}

// noteOf is stepNote's note, headed by head ("rescued", the IgnoredNote)
// when it is set.
func noteOf(s *Step, n int, withReused bool, head0 string) string {
	var head, tail []string
	if head0 != "" {
		head = append(head, head0)
	}
	if what := notificationNote(s); what != "" {
		head = append(head, what)
	}
	if fanOut(s) {
		head = append(head, itemSummary(s.Items))
	}
	// The engine's reason for a reused step already names the run it was
	// reused from; only a report without one needs the note.
	if withReused && s.Reused && s.Reason == "" {
		tail = append(tail, "reused from the earlier run")
	}
	if c := cacheNote(s); c != "" {
		tail = append(tail, c)
	}
	mid := plainText(skippedReason(s))
	if s.Error != nil {
		rest := noteRoom(head, tail, "")
		room := max(n-rest, n/2)
		mid = ""
		if fanOut(s) {
			// A fan-out's note is cut where it can spare it, so it
			// takes the room there is: one longer than that would be
			// cut in its middle again, where the items are named.
			mid = fanOutErr(s, max(n-rest, minNoteBody))
		}
		if mid == "" {
			mid = errNote(s, RanError(s.Error, s.Authorization), room)
		}
	} else if retried := retriedStepNote(s, max(n-noteRoom(head, tail, mid), n/2)); retried != "" {
		// A step that passed only after tries that failed says so, and
		// why the first failed: a flaky step must not read as healthy.
		mid = strings.TrimPrefix(mid+"; "+retried, "; ")
	}
	parts := head
	if mid != "" {
		parts = append(parts, mid)
	}
	return midClip(strings.Join(append(parts, tail...), "; "), n)
}

// noteRoom is how many characters of a note its parts head, tail and mid
// take, with the separators between them and the part still to come.
func noteRoom(head, tail []string, mid string) int {
	parts := append(append([]string{}, head...), tail...)
	if mid != "" {
		parts = append(parts, mid)
	}
	return utf8.RuneCountInString(strings.Join(parts, "; ")) + 4
}

// showsReason says whether an item's row shows its reason rather than its
// error: it has no error, or it never started ("not started: item 0 failed
// and fail_fast is on"), which its error's class alone would not say.
func showsReason(it *Item) bool {
	return it.Error == nil || it.StartedAt == nil && it.Reason != ""
}

// IgnoredNote marks a failed step whose continue_on_error let the run go
// on.
const IgnoredNote = "ignored: continue_on_error"

// ignored reports whether s failed and continue_on_error let the run go
// on after it.
func ignored(s *Step) bool { return s.Ignored && s.Status == StatusFailed }

// rescued reports whether s failed and its rescue steps recovered the
// run.
func rescued(s *Step) bool { return s.Rescued && s.Status == StatusFailed }

// failedRun reports whether s failed the run: it failed or was denied, and
// neither continue_on_error nor its rescue steps let the run go on.
func failedRun(s *Step) bool { return failedLike(s.Status) && !ignored(s) && !rescued(s) }

// shownItems returns the indexes of the items of a fan-out that a list of
// at most limit items shows, in their order: those that failed or were
// denied, then those cancelled or skipped, then, when succeeded is set,
// those that succeeded; more is how many of these are left out. A
// fan-out whose fail_fast cancelled the items around the one that failed
// still shows that one, however far down it is.
func shownItems(items []Item, limit int, succeeded bool) (shown []int, more int) {
	var byRank [3][]int
	for i := range items {
		rank := 2
		switch st := items[i].Status; {
		case failedLike(st):
			rank = 0
		case st != StatusSucceeded:
			rank = 1
		case !succeeded:
			continue
		}
		if len(byRank[rank]) < limit {
			byRank[rank] = append(byRank[rank], i)
		} else {
			more++
		}
	}
	for _, idx := range byRank {
		n := min(len(idx), limit-len(shown))
		shown, more = append(shown, idx[:n]...), more+len(idx)-n
	}
	slices.Sort(shown)
	return shown, more
}

// itemLabel names one fan-out item: the step label and the item's label
// (a host's name, on one line), else its index.
func itemLabel(s *Step, it *Item) string {
	if it.Label != "" {
		return fmt.Sprintf("%s[%s]", stepLabel(s), plainText(cell(it.Label)))
	}
	return fmt.Sprintf("%s[%d]", stepLabel(s), it.Index)
}

// itemName shows an item in a list of items: its label, else its value.
func itemName(it *Item) string {
	if it.Label != "" {
		return it.Label
	}
	return inline(it.Item)
}

// outputText renders an output for people. A map shows one key per line, in
// key order, with multi-line strings (a command's stdout and stderr) as
// indented blocks and nested data as JSON, on one line when short; a
// string of several lines shows as its lines; anything else is indented
// JSON.
func outputText(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok && strings.Contains(s, "\n") {
		return strings.TrimRight(s, "\n") + "\n" // its lines, as a map's below
	}
	m, ok := v.(map[string]any)
	if !ok {
		return jsonText(v, "") + "\n"
	}
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		if x, ok := m[k].(string); ok && strings.Contains(x, "\n") {
			b.WriteString(k + ":\n")
			for _, line := range strings.Split(strings.TrimRight(x, "\n"), "\n") {
				b.WriteString("  " + line + "\n")
			}
			continue
		}
		if one := inlineJSON(m[k]); len(one) <= 100 {
			b.WriteString(k + ": " + one + "\n")
			continue
		}
		b.WriteString(k + ": " + jsonText(m[k], "  ") + "\n")
	}
	return b.String()
}

// jsonText is v as indented JSON, each line after the first prefixed, or
// its Go form when it is not JSON data. HTML characters stay as they are;
// each format escapes its own output.
func jsonText(v any, prefix string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// inlineJSON is v as JSON on one line.
func inlineJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// inline is v on one line, for tables.
func inline(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return inlineJSON(v)
}

// statusCounts counts steps by status, in a fixed order; failed steps
// whose continue_on_error let the run go on, and those their rescue steps
// recovered, are counted apart: neither failed the run.
func statusCounts(steps []Step) string {
	counts := map[Status]int{}
	for _, s := range steps {
		counts[s.Status]++
	}
	ign, res := ignoredCount(steps), rescuedCount(steps)
	counts[StatusFailed] -= ign + res
	parts := []string{}
	for _, st := range []Status{StatusSucceeded, StatusFailed, StatusDenied, StatusCancelled, StatusSkipped} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
		if st == StatusFailed && res > 0 {
			parts = append(parts, fmt.Sprintf("%d failed but rescued", res))
		}
		if st == StatusFailed && ign > 0 {
			parts = append(parts, fmt.Sprintf("%d failed but ignored (continue_on_error)", ign))
		}
	}
	noun := "steps"
	if len(steps) == 1 {
		noun = "step"
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d %s", len(steps), noun)
	}
	return fmt.Sprintf("%d %s: %s", len(steps), noun, strings.Join(parts, ", "))
}

// ignoredCount is how many of steps failed with continue_on_error letting
// the run go on.
func ignoredCount(steps []Step) int {
	n := 0
	for i := range steps {
		if ignored(&steps[i]) {
			n++
		}
	}
	return n
}

// rescuedCount is how many of steps failed and were recovered by their
// rescue steps.
func rescuedCount(steps []Step) int {
	n := 0
	for i := range steps {
		if rescued(&steps[i]) {
			n++
		}
	}
	return n
}

// failedLike reports whether a status is one a reader must look at.
func failedLike(s Status) bool { return s == StatusFailed || s == StatusDenied }

// attemptStatus is the outcome of one attempt: its status, or in a
// report written before attempts recorded one, succeeded without an
// error, otherwise what its error class means.
func attemptStatus(a *Attempt) Status {
	if a.Status != "" {
		return a.Status
	}
	if a.Error == nil {
		return StatusSucceeded
	}
	return StatusOf(a.Error.Class)
}

// errText is "class: message", or "" for no error.
func errText(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Class + ": " + e.Message
}

// EmptyFanOutNote is the note of a fan-out whose foreach gave no item:
// it ran nothing, and succeeded.
const EmptyFanOutNote = "0 items (foreach gave an empty list)"

// fanOut reports whether s is a fan-out, also one whose foreach gave no
// item (its item_counts are there, empty).
func fanOut(s *Step) bool { return len(s.Items) > 0 || s.ItemCounts != nil }

// plural is n and the noun for it: one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
