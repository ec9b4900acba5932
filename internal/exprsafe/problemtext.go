package exprsafe

import (
	"regexp"
	"strconv"
	"strings"
)

// expr's built-ins and operators fail on a value of the wrong type, known
// only at run time, in Go's words: "interface conversion: interface {} is
// nil, not string", "invalid argument for len (type <nil>)", "cannot get
// keys from invalid", "invalid operation: <nil> + float64". plainProblem
// says the same in the words of the playbook docs: null, number, list,
// map, naming the function.

// goTypes are the Go names of the types expressions meet, with what the
// docs call them.
var goTypes = map[string]string{
	"<nil>": "null", "nil": "null", "invalid": "null", "%!s(<nil>)": "null",
	"string": "string", "[]uint8": "string",
	"float64": "number", "float32": "number",
	"int": "integer", "int64": "integer", "int32": "integer", "uint8": "integer", "uint": "integer", "uint64": "integer",
	"bool":  "bool",
	"slice": "list", "array": "list", "[]interface {}": "list", "[]string": "list", "[]int": "list", "[]float64": "list",
	"map": "map", "struct": "map", "map[string]interface {}": "map", "ptr": "map",
	"time.Time": "time", "time.Duration": "duration", "*time.Location": "time zone",
}

// goTypeWords are the names in goTypes that read as Go and not as the docs
// do, as they appear inside a longer message.
var goTypeWords = regexp.MustCompile(`<nil>|map\[string\]interface \{\}|\[\]interface \{\}|\[\]uint8|\*time\.Location|time\.Time|time\.Duration|\bfloat64\b|\bfloat32\b|\bint64\b|\buint8\b`)

// reCannot takes any type name, spaces included: the type checker names a
// list "[]interface {}".
var (
	rePosition   = regexp.MustCompile(` \(\d+:\d+\)$`)
	reConversion = regexp.MustCompile(`^interface conversion: interface \{\} is (.+), not (.+)$`)
	reArgument   = regexp.MustCompile(`^invalid argument for (\w+) \(type (.+?)\)(: want a string)?$`)
	reDuration   = regexp.MustCompile(`^time: (?:invalid duration|missing unit in duration|unknown unit "([^"]*)" in duration) ("(?:[^"\\]|\\.)*")$`)
	reBoolCast   = regexp.MustCompile(`^invalid operation: bool\((.+)\)$`)
	reCannot     = regexp.MustCompile(`^cannot (get keys from|get values from|transform|uniq|reverse|flatten|concat|take from) (.+?)( to pairs)?$`)
)

// cannotFuncs are the built-ins behind reCannot's verbs, with what they
// take.
var cannotFuncs = map[string][2]string{
	"get keys from": {"keys", "map"}, "get values from": {"values", "map"}, "transform": {"toPairs", "map"},
	"uniq": {"uniq", "list"}, "reverse": {"reverse", "list"}, "flatten": {"flatten", "list"},
	"concat": {"concat", "list"}, "take from": {"take", "list"},
}

// argWants are what the built-ins that say "invalid argument for" take.
var argWants = map[string]string{
	"abs": "number", "ceil": "number", "floor": "number", "round": "number",
	"mean": "list", "median": "list", "join": "list", "max": "number", "min": "number",
	"int()": "number", "float()": "number",
}

// plainProblem rewrites msg, the first line of an evaluation's error, in
// the docs' words. what names the function or operator where it failed
// ("" when not known); nullAdvice says why a list may be null and what to
// do.
func plainProblem(msg, what, nullAdvice string) string {
	if m := reConversion.FindStringSubmatch(msg); m != nil {
		return given(orValue(what), typeWord(m[1]), typeWord(m[2]), nullAdvice)
	}
	if m := reArgument.FindStringSubmatch(msg); m != nil {
		want := ""
		if m[3] != "" {
			want = "string"
		}
		if want == "" {
			want = argWants[m[1]]
		}
		return given(m[1]+"()", typeWord(m[2]), want, nullAdvice)
	}
	if m := reBoolCast.FindStringSubmatch(msg); m != nil {
		// A condition (when, until, ...) whose value is not a bool.
		return "a condition must give true or false, but this one gave " + article(typeWord(m[1])) +
			"; compare it, like x == \"yes\" or x > 0, or test that it is there, x != nil"
	}
	if m := reCannot.FindStringSubmatch(msg); m != nil {
		f := cannotFuncs[m[1]]
		return given(f[0]+"()", typeWord(m[2]), f[1], nullAdvice)
	}
	if m := reDuration.FindStringSubmatch(msg); m != nil {
		// A literal is said so at load; this is a value known only now.
		if m[1] == "d" || m[1] == "w" {
			return "duration(" + m[2] + "): days and weeks are no unit of a duration; write hours, as \"48h\" for 2 days"
		}
		return "duration(" + m[2] + ") is not a duration; write one like \"90s\", \"5m\" or \"1h30m\" (units h, m, s, ms, us, ns)"
	}
	if zone, ok := strings.CutPrefix(msg, "unknown time zone "); ok {
		return orValue(what) + ": unknown time zone " + strconv.Quote(zone) + "; use an IANA name like Europe/Berlin or UTC"
	}
	if strings.HasPrefix(msg, "reflect.Value.Slice") || strings.HasPrefix(msg, "reflect: slice index out of range") {
		return orValue(what) + " was given an index or count out of range (negative, or past the end)"
	}
	return goTypeWords.ReplaceAllStringFunc(msg, func(s string) string { return goTypes[s] })
}

// given says that what was given a value of kind got where want was
// needed ("" when it is not known).
func given(what, got, want, nullAdvice string) string {
	if want == "bool" {
		return what + " needed true or false from its condition (or its items), but got " + article(got)
	}
	msg := what + " was given " + article(got)
	if want != "" {
		msg += ", not " + article(want)
	}
	if got != "null" {
		return msg
	}
	switch want {
	case "list", "":
		return msg + because(nullAdvice)
	case "string":
		return msg + `; give a default with ??, as in x ?? ""`
	case "map":
		return msg + "; give a default with ??, as in x ?? {}"
	case "integer", "number":
		return msg + "; give a default with ??, as in x ?? 0"
	}
	return msg
}

// typeWord is the docs' word for a Go type or kind name.
func typeWord(goName string) string {
	if w, ok := goTypes[goName]; ok {
		return w
	}
	return goName
}

func orValue(what string) string {
	if what == "" {
		return "a value"
	}
	return what
}

// operatorAt returns the word operator at rune offset from of src
// ("matches" in `x matches "a"`), or "".
func operatorAt(src string, from int) string {
	r := []rune(src)
	if from < 0 || from >= len(r) {
		return ""
	}
	end := from
	for end < len(r) && (r[end] >= 'a' && r[end] <= 'z' || r[end] >= 'A' && r[end] <= 'Z') {
		end++
	}
	switch w := string(r[from:end]); w {
	case "matches", "contains", "startsWith", "endsWith", "in":
		return w
	}
	return ""
}
