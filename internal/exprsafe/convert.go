package exprsafe

// What to write when an operator is given two values it cannot take
// together, in terms of the built-ins expressions have: float(x) reads
// text that holds a number and nothing else (float("3\n") fails),
// string(x) writes any value as text, concat joins lists, and nothing
// turns true or false into a number.

// trimNote says why trim comes first in a conversion of text.
const trimNote = " (trim drops the newline that ends a command's stdout)"

// MismatchAdvice says what to write when the operator op was given values
// of the types a and b, as expr names them ("string", "int", "float64",
// "[]interface {}") or as the docs do, which it cannot take together. It
// starts with "; ".
func MismatchAdvice(op, a, b string) string {
	a, b = typeWord(a), typeWord(b)
	has := func(t string) bool { return a == t || b == t }
	num := has("integer") || has("number")
	switch op {
	case "-", "*", "/", "%", "**", "^":
		// The checker lets a value whose type only the run knows
		// ("unknown": a step's output field) meet these operators only
		// as a number, so the text is the side to convert.
		num = num || has("unknown")
	}
	switch {
	case has("null"):
		return "; give a default with ??, as in x ?? 0, or test the value first"
	case has("list") && op == "+":
		return "; + does not join lists: write concat(a, b), or concat(a, [x]) to add an item"
	case has("list") || has("map"):
		return "; " + op + " takes no list or map: use one value of it, like x[0], x.name, len(x) or sum(x)"
	case textOps[op]:
		return "; " + op + " compares text with text: convert the other side with string(x)" + patternNote(op)
	case has("bool") && has("string"):
		return "; convert the bool with string(x), which gives \"true\" or \"false\""
	case has("bool"):
		return "; no function turns true or false into a number: choose one with ?:, like (x ? 1 : 0)"
	case (has("time") || has("duration")) && has("string"):
		return "; convert the text first, with duration(x) for a duration like \"90s\" or date(x) for a time"
	case (has("time") || has("duration")) && num:
		return "; make the number a duration first, like n * duration(\"1s\") for n seconds"
	case has("string") && num:
		switch op {
		case "+":
			return "; to join them as text, convert the number with string(x); to add them, convert the text with float(trim(x))" + trimNote
		case "%", "..":
			return "; " + op + " takes whole numbers: convert the text with int(trim(x))" + trimNote
		case "==", "!=":
			return "; text is never equal to a number: compare text with text, like x == \"5\", or convert the text with float(trim(x))" + trimNote
		}
		return "; convert the text with float(trim(x))" + trimNote
	}
	return "; convert one side first, e.g. string(x), or float(trim(x)) for text that holds a number" + trimNote
}

// textOps are the operators that take text on both sides.
var textOps = map[string]bool{"matches": true, "contains": true, "startsWith": true, "endsWith": true}

// patternNote reminds that the right side of matches is a pattern, itself
// text.
func patternNote(op string) string {
	if op == "matches" {
		return `, and write the pattern in quotes, like x matches "^[0-9]+$"`
	}
	return ""
}
