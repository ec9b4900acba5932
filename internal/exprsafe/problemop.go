package exprsafe

import (
	"regexp"
	"strconv"
	"strings"
)

// expr's operators and conversions fail at run time, on values whose type
// was not known when the playbook was loaded, in Go's words: "invalid
// operation: string + int", "invalid operation: int(abc)". operatorProblem
// says the same in the docs' words, with what to do.

var (
	reBinary = regexp.MustCompile(`^invalid operation: (.+?) (\+|-|\*\*|\*|/|%|\^|<=|>=|<|>) (.+)$`)
	reUnary  = regexp.MustCompile(`^invalid operation: (-|\+) (\S+)$`)
	reParse  = regexp.MustCompile(`(?s)^invalid operation: (int|float)\((.*)\)$`)
	reIn     = regexp.MustCompile(`^operator "in" not defined on (\S+)$`)
)

// msgDivideByZero is Go's panic of an integer % by 0, the one operator
// that divides integers (/ divides as floats, giving +Inf).
const msgDivideByZero = "runtime error: integer divide by zero"

// maxShown is the longest text a conversion's error quotes.
const maxShown = 64

// operatorProblem rewrites msg, the first line of an evaluation's error
// without its position, when an operator was given values of kinds it
// cannot take, % was given 0 on its right, or int() or float() a text
// that is no number; call is the
// function called where the error is ("" when none). ok is false for any
// other error.
func operatorProblem(msg, call string) (string, bool) {
	if msg == msgDivideByZero {
		return "% by zero: the right side of % is 0, and a remainder by zero has no value; test the divisor first, as in n != 0 ? x % n : 0", true
	}
	if m := reBinary.FindStringSubmatch(msg); m != nil {
		a, b := typeWord(m[1]), typeWord(m[3])
		if orderedNumberText(m[2], a, b) {
			return "a number and a string cannot be compared with " + m[2] + " (" + a + " " + m[2] + " " + b +
				"); write the number without quotes, as 90 and not \"90%\", or convert text first with float(trim(x)) (trim drops the newline that ends a command's stdout)", true
		}
		out := m[2] + " was given " + article(a) + " and " + article(b)
		if a == "null" || b == "null" {
			return out + "; give a default with ??, as in x ?? 0, or test the value first", true
		}
		return out + MismatchAdvice(m[2], a, b), true
	}
	if m := reUnary.FindStringSubmatch(msg); m != nil {
		return m[1] + " was given " + article(typeWord(m[2])) + ", not a number", true
	}
	if m := reIn.FindStringSubmatch(msg); m != nil {
		out := "in needs a list or a map on its right, not " + article(typeWord(m[1]))
		if typeWord(m[1]) == "string" {
			out += "; to find a text inside a text, write s contains x"
		}
		return out, true
	}
	if m := reParse.FindStringSubmatch(msg); m != nil && m[1] == call {
		text := "a text of " + strconv.Itoa(len(m[2])) + " bytes"
		if len(m[2]) <= maxShown {
			text = strconv.Quote(m[2])
		}
		if _, err := strconv.ParseFloat(strings.TrimSpace(m[2]), 64); err == nil {
			return call + "() was given " + text + ", a number with white space around it, as a command's stdout ends with a newline; write " + call + "(trim(x))", true
		}
		return call + "() was given " + text + ", which is not a number; convert only a number, as in x matches \"^-?[0-9]+$\" ? int(x) : 0", true
	}
	return "", false
}

// orderedNumberText reports whether op orders a number against a text,
// as used_percent < "90%" does: its message says to write the number.
func orderedNumberText(op, a, b string) bool {
	switch op {
	case "<", ">", "<=", ">=":
	default:
		return false
	}
	number := func(w string) bool { return w == "number" || w == "integer" }
	return a == "string" && number(b) || b == "string" && number(a)
}
