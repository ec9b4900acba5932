package exprsafe

import (
	"regexp"
	"strconv"
	"strings"
)

// date() and fromJSON() fail on a text they cannot read in Go's words,
// "invalid date nope", "parsing time ... as ...", "unexpected end of JSON
// input", which name neither the function nor what to write instead.
// parseProblem says both; the same words serve validate when the text is
// a literal (NotDate, NotJSON).

var (
	reNoDate    = regexp.MustCompile(`^invalid date (.*)$`)
	reNoLayout  = regexp.MustCompile(`^parsing time ("(?:[^"\\]|\\.)*") as ("(?:[^"\\]|\\.)*"): `)
	reJSONError = regexp.MustCompile(`^(unexpected end of JSON input|invalid character .*|json: .*)$`)
)

// DateLayouts says which texts date() with one argument reads.
const DateLayouts = `write one like "2024-01-31", "2024-01-31 15:04:05" or "2024-01-31T15:04:05Z", or give its layout as date(s, "02/01/2006 15:04"), written with Go's reference time`

// NotDate says that date() cannot read text, with layout ("" when none
// was given); then says so (fails), before what to do.
func NotDate(text, layout, then string) string {
	if layout == "" {
		return "date() was given " + shown(text) + ", which is not a date it reads" + then + "; " + DateLayouts
	}
	return "date() was given " + shown(text) + ", which does not match the layout " + strconv.Quote(layout) + then +
		"; a layout writes Go's reference time, Mon Jan 2 15:04:05 MST 2006, as the text does, like \"2006-01-02\" for 2024-01-31 (not %Y-%m-%d)"
}

// NotJSON says that fromJSON() was given a text that is no JSON document,
// why (reason, the decoder's words), then, and what to do.
func NotJSON(reason, then string) string {
	return "fromJSON() was given a text that is not JSON (" + reason + ")" + then + "; pass it a JSON document, " +
		"such as the body of an answer in JSON (http.request decodes one into output.json already), " +
		"or test the text first, as in s startsWith \"{\" ? fromJSON(s) : {}"
}

// shown quotes text, or gives its length when it is long.
func shown(text string) string {
	if len(text) > maxShown {
		return "a text of " + strconv.Itoa(len(text)) + " bytes"
	}
	return strconv.Quote(text)
}

// parseProblem rewrites msg, the first line of an evaluation's error
// without its position, when call (the function called where it failed)
// is date or fromJSON and could not read its text. ok is false for any
// other error.
func parseProblem(msg, call string) (string, bool) {
	switch call {
	case "date":
		if m := reNoDate.FindStringSubmatch(msg); m != nil {
			return NotDate(m[1], "", ""), true
		}
		if m := reNoLayout.FindStringSubmatch(msg); m != nil {
			text, err1 := strconv.Unquote(m[1])
			layout, err2 := strconv.Unquote(m[2])
			if err1 == nil && err2 == nil {
				return NotDate(text, layout, ""), true
			}
		}
	case "fromJSON":
		if reJSONError.MatchString(msg) {
			return NotJSON(strings.TrimPrefix(msg, "json: "), ""), true
		}
	}
	return "", false
}
