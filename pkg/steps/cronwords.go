package steps

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// cronFieldSpec is what one field of a cron spec holds, in a user's words.
type cronFieldSpec struct {
	name   string   // "minute", "day of week"
	plural string   // "minutes", "days of week"
	lo, hi int      // the range of its numbers
	names  []string // the names it takes besides numbers, if any
}

var (
	cronSecond = cronFieldSpec{"second", "seconds", 0, 59, nil}
	cronFields = []cronFieldSpec{
		{"minute", "minutes", 0, 59, nil},
		{"hour", "hours", 0, 23, nil},
		{"day of month", "days of month", 1, 31, nil},
		{"month", "months", 1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
		{"day of week", "days of week", 0, 6, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
	}
	// robfig/cron's words for a field it refuses (v3.0.1, parser.go).
	cronAbove    = regexp.MustCompile(`^end of range \((-?\d+)\) above maximum`)
	cronBelow    = regexp.MustCompile(`^beginning of range \((-?\d+)\) below minimum`)
	cronBackward = regexp.MustCompile(`^beginning of range \((\d+)\) beyond end of range \((\d+)\)`)
	cronNotInt   = regexp.MustCompile(`^failed to parse int from ([^:]*):`)
)

// allowed says what the field takes: `0–59`, `1–12 or JAN–DEC`.
func (f cronFieldSpec) allowed() string {
	s := fmt.Sprintf("%d–%d", f.lo, f.hi)
	if len(f.names) > 0 {
		s += " or " + f.names[0] + "–" + f.names[len(f.names)-1]
	}
	return s
}

// cronWords says, in a user's words, what is wrong with spec, which
// robfig/cron refused with err, and what to write instead.
func cronWords(spec, s string, err error) string {
	q := strconv.Quote(spec)
	if strings.HasPrefix(s, "@") {
		return descriptorWords(q, s)
	}
	f := strings.Fields(s)
	if len(f) != 5 && len(f) != 6 {
		return fieldCountWords(q, s, f)
	}
	fields := cronFields
	if len(f) == 6 {
		fields = append([]cronFieldSpec{cronSecond}, cronFields...)
	}
	// The parser names no field: parse each one alone, the others *,
	// to find the one it refuses.
	for i := range f {
		alone := make([]string, len(f))
		for j := range alone {
			alone[j] = "*"
		}
		alone[i] = f[i]
		if _, ferr := cronParser.Parse(strings.Join(alone, " ")); ferr != nil {
			return fmt.Sprintf("cron %s: the %s field %q: %s", q, fields[i].name, f[i], fieldWords(fields[i], f[i], ferr.Error()))
		}
	}
	return "cron " + q + ": " + err.Error() + "; write 5 fields (minute hour day-of-month month day-of-week), like \"*/15 * * * *\""
}

// descriptorWords is the message for an @ spec the parser refused.
func descriptorWords(q, s string) string {
	word, rest, _ := strings.Cut(s, " ")
	known := []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
	if slices.Contains(known, word) {
		return fmt.Sprintf("cron %s: %s takes nothing after it; write %q alone, or 5 fields for a time, like \"0 3 * * *\" for 03:00 every day", q, word, word)
	}
	hint := ""
	if x, ok := suggest.Closest(strings.ToLower(word), cronDescriptors); ok {
		fixed := x
		if x == "@every" {
			d := strings.TrimSpace(rest)
			if d == "" {
				d = "5m"
			}
			fixed += " " + d
		}
		hint = suggest.Hint(fixed)
	}
	return fmt.Sprintf("cron %s: unknown descriptor %s%s; write one of @hourly, @daily, @weekly, @monthly, @yearly, or @every with a duration, like @every 5m", q, word, hint)
}

// fieldCountWords is the message for a spec of other than 5 or 6 fields.
func fieldCountWords(q, s string, f []string) string {
	hint := ""
	if at := everyFix(s); at != s {
		hint = suggest.Hint(at)
	} else if len(f) > 0 && len(f) < 5 {
		// The likeliest slip: a trailing * left out.
		fixed := s + strings.Repeat(" *", 5-len(f))
		if _, err := cronParser.Parse(fixed); err == nil {
			hint = suggest.Hint(fixed)
		}
	}
	extra := ""
	if len(f) == 7 {
		extra = " (a 7th field, the year some crons take, is not one of them)"
	}
	return fmt.Sprintf("cron %s has %d fields%s; write 5 (minute hour day-of-month month day-of-week), like \"*/15 * * * *\", or 6 with seconds first%s", q, len(f), hint, extra)
}

// fieldWords says what is wrong with text, field f of a spec, from the
// parser's msg, and what to write.
func fieldWords(f cronFieldSpec, text, msg string) string {
	takes := fmt.Sprintf("%s are %s", f.plural, f.allowed())
	if m := cronAbove.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s is above %d; %s", m[1], f.hi, takes)
	}
	if m := cronBelow.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s is below %d; %s", m[1], f.lo, takes)
	}
	if m := cronBackward.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("the range %s-%s runs backwards; write it low to high, or as two ranges across the end, like %s-%d,%d-%s", m[1], m[2], m[1], f.hi, f.lo, m[2])
	}
	if m := cronNotInt.FindStringSubmatch(msg); m != nil {
		return notNumberWords(f, m[1], takes)
	}
	switch {
	case strings.HasPrefix(msg, "step of range should be a positive number"):
		return "the step after / must be 1 or more, like */5"
	case strings.HasPrefix(msg, "too many hyphens"):
		return "a range has one hyphen, like 1-5; join several with commas, like 1-5,7-9"
	case strings.HasPrefix(msg, "too many slashes"):
		return "a step has one slash, like */15 or 0-30/10"
	case strings.HasPrefix(msg, "negative number"):
		return "a number cannot be negative; " + takes
	}
	return msg + "; " + takes
}

// notNumberWords is the message for word, which the parser read as no
// number and no name of field f.
func notNumberWords(f cronFieldSpec, word, takes string) string {
	q := strconv.Quote(word)
	switch {
	case word == "":
		return "a range needs a number on each side of the hyphen, like 1-5, and numbers cannot be negative; " + takes
	case strings.Contains(word, "#"):
		return fmt.Sprintf("%s (the nth weekday of a month, as Quartz writes it) is not taken; %s", q, takes)
	case strings.HasSuffix(word, "L"):
		return fmt.Sprintf("%s (the last day, as Quartz writes it) is not taken; %s", q, takes)
	case strings.HasSuffix(word, "W"):
		return fmt.Sprintf("%s (the nearest weekday, as Quartz writes it) is not taken; %s", q, takes)
	case word == "H" || strings.HasPrefix(word, "H("):
		return fmt.Sprintf("%s (a hashed time, as Jenkins writes it) is not taken; pick a number: %s", q, takes)
	}
	hint := ""
	if len(f.names) > 0 {
		hint = suggest.DidYouMean(strings.ToUpper(word), f.names)
	}
	return fmt.Sprintf("%s is neither a number nor a name%s; %s", q, hint, takes)
}

// questionMark refuses a ? outside the day-of-month and day-of-week
// fields of spec (s trimmed). robfig/cron reads ? as * in every field,
// so that Quartz's "any day" written for a minute or an hour would fire
// every minute or every hour; Quartz and Spring refuse it there too.
func questionMark(spec, s string) string {
	f := strings.Fields(s)
	if len(f) != 5 && len(f) != 6 {
		return ""
	}
	fields := cronFields
	if len(f) == 6 {
		fields = append([]cronFieldSpec{cronSecond}, cronFields...)
	}
	for i, text := range f {
		name := fields[i].name
		if !strings.Contains(text, "?") || name == "day of month" || name == "day of week" {
			continue
		}
		return fmt.Sprintf("cron %q: the %s field %q: ? means any day, and is taken only in the day-of-month and day-of-week fields; here it would mean every %s, like *: write * if that is meant, or the %s to fire at (%s)", spec, name, text, name, name, fields[i].allowed())
	}
	return ""
}
