package exprsafe

import (
	"regexp"
	"strings"
)

// expr's type checker refuses a built-in given a value of the wrong type
// when the type is known as the playbook loads, in its own words: "builtin
// sum takes only array (got string)", "cannot get first element from
// float64", "cannot use string as argument (type []int) to call sort".
// CheckProblem says the same as Problem says it at run time.

var (
	reTakesOnly    = regexp.MustCompile(`^builtin (\w+) takes only array \(got (.+)\)$`)
	reElement      = regexp.MustCompile(`^cannot get (first|last) element from (.+)$`)
	reListArgument = regexp.MustCompile(`^cannot use (.+?) as argument \(type \[\]\S+\) to call (\w+)\s*$`)
	reTooFew       = regexp.MustCompile(`^not enough arguments to call (\w+)$`)
	rePredicate    = regexp.MustCompile(`^predicate should return boolean \(got (.+)\)$`)
	reInArray      = regexp.MustCompile(`^cannot use (.+?) as type (.+?) in array$`)
	reTextArgument = regexp.MustCompile(`^cannot use (.+?) as argument \(type string\) to call (\w+)\s*$`)
	reNonBool      = regexp.MustCompile(`^non-bool expression \(type (.+)\) used as condition$`)
	reListIndex    = regexp.MustCompile(`^array elements can only be selected using an integer \(got (.+)\)$`)
	reMapKey       = regexp.MustCompile(`^cannot use (.+?) to get an element from map\[string\]`)
)

// splitAdvice is what to do with a text where a list was wanted.
const splitAdvice = `; split the text into a list first, like split(trim(s), "\n")`

// CheckProblem rewrites msg, a type checker's message about a call in src,
// in the docs' words, or returns "" when it is not about a built-in given
// a value of the wrong type.
func CheckProblem(msg, src string) string {
	msg = rePosition.ReplaceAllString(strings.TrimSpace(msg), "")
	list := func(f, got string) string {
		out := given(f+"()", typeWord(got), "list", "")
		if typeWord(got) == "string" {
			out += splitAdvice
		}
		return out
	}
	if m := reTakesOnly.FindStringSubmatch(msg); m != nil {
		return list(m[1], m[2])
	}
	if m := reElement.FindStringSubmatch(msg); m != nil {
		return list(m[1], m[2])
	}
	if m := reListArgument.FindStringSubmatch(msg); m != nil {
		return list(m[2], m[1])
	}
	if m := reArgument.FindStringSubmatch(msg); m != nil {
		if m[1] == "len" {
			return "len() was given " + article(typeWord(m[2])) + ", not a list, map or string"
		}
		if argWants[m[1]] == "list" {
			return list(m[1], m[2])
		}
		return given(m[1]+"()", typeWord(m[2]), argWants[m[1]], "")
	}
	if m := reCannot.FindStringSubmatch(msg); m != nil {
		f := cannotFuncs[m[1]]
		if f[1] == "list" {
			return list(f[0], m[2])
		}
		return given(f[0]+"()", typeWord(m[2]), f[1], "")
	}
	if m := reTextArgument.FindStringSubmatch(msg); m != nil {
		switch got := typeWord(m[1]); got {
		case "list":
			return given(m[2]+"()", got, "string", "") + `; give it one item, like x[0], or the items joined, like join(x, ", ")`
		case "map":
			return given(m[2]+"()", got, "string", "") + "; give it one value of the map, like x.name"
		}
	}
	if m := reNonBool.FindStringSubmatch(msg); m != nil {
		return ternaryNotBool(typeWord(m[1]))
	}
	if m := reListIndex.FindStringSubmatch(msg); m != nil {
		out := "a list's items are picked by a whole number, x[0], but this index is " + article(typeWord(m[1]))
		if typeWord(m[1]) == "string" {
			out += "; convert it with int(trim(x))" + trimNote + ", or read a map's field by name, x.name"
		}
		return out
	}
	if m := reMapKey.FindStringSubmatch(msg); m != nil {
		return "a map's values are picked by a text key, x[\"name\"] or x.name, but this key is " + article(typeWord(m[1])) +
			"; convert it with string(x)"
	}
	if m := reInArray.FindStringSubmatch(msg); m != nil {
		return inArray(typeWord(m[1]), typeWord(m[2]))
	}
	if m := rePredicate.FindStringSubmatch(msg); m != nil {
		return "the condition of all(), any(), filter() and the like must give true or false for each item, but this one gives " + article(typeWord(m[1])) + "; compare the item, like # > 0 or .name == \"web\""
	}
	// A call with arguments that expr finds too few for every form of the
	// built-in is, as often, one whose argument has the wrong type:
	// trim(1) is refused so.
	if m := reTooFew.FindStringSubmatch(msg); m != nil && hasArguments(src, m[1]) {
		if textFuncs[m[1]] {
			return msg + ", or an argument of it has the wrong type; " + m[1] + "() takes text: convert a number or a bool with string(x)"
		}
		return msg + ", or an argument of it has the wrong type; string(x) turns a value into text, and float(trim(x)) text into a number" + trimNote
	}
	return ""
}

// inArray says why x in [1, 2] or x in 1..5, x of a type the list's
// items are not, is refused: such a value is never found there.
func inArray(got, want string) string {
	out := "in looks for " + article(got) + " among " + want + "s, where it is never found"
	switch {
	case got == "string" && want == "integer":
		return out + "; convert the text with int(trim(x))" + trimNote
	case got == "string" && want == "number":
		return out + "; convert the text with float(trim(x))" + trimNote
	case want == "string" && (got == "integer" || got == "number"):
		return out + "; convert the number with string(x), or write the list's items as numbers"
	}
	return out + "; compare a value of the kind the list holds"
}

// textFuncs are the built-ins with more than one form that take only
// text: given another type, expr says they have too few arguments.
var textFuncs = map[string]bool{
	"trim": true, "trimPrefix": true, "trimSuffix": true, "split": true, "splitAfter": true,
	"replace": true, "indexOf": true, "lastIndexOf": true, "hasPrefix": true, "hasSuffix": true,
}

// hasArguments reports whether src calls f with something between its
// parentheses.
func hasArguments(src, f string) bool {
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(f) + `\s*\(\s*[^)\s]`)
	return re.MatchString(src)
}

// ternaryNotBool is the problem of a c ? a : b whose c gives got, not
// true or false: as validate finds it and as a run does.
func ternaryNotBool(got string) string {
	return "the condition before ? must give true or false, but this one gives " + article(got) +
		"; compare it, like x == \"yes\" or x > 0, or test that it is there, x != nil"
}
