package ops

// Advice for a value a parameter refuses: what was probably meant.

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// ModeHint is the TypeHint of a file mode parameter, a string of octal
// digits: unquoted, 0644 is YAML's octal number 420.
const ModeHint = `quote the mode, like "0644": unquoted, YAML reads 0644 as the number 420`

// ShellSyntax returns the first piece of shell syntax in s (a pipe, a
// separator, a redirection, a quote, a substitution), or "" when s holds
// plain words only, which a list of words would run the same.
func ShellSyntax(s string) string {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '|', ';', '&', '>', '<', '`', '\'', '"', '\\':
			if i+1 < len(s) && (c == '|' || c == '&' || c == '>') && s[i+1] == c {
				return s[i : i+2]
			}
			return string(c)
		case '$':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j > i+1 {
				return s[i:j]
			}
			if j < len(s) && (s[j] == '(' || s[j] == '{') {
				return s[i : j+1]
			}
		case '*', '~':
			return string(c)
		}
	}
	return ""
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// NumberTextHint begins the advice given for a number written as text,
// which also says how to convert the text an expression gives: the
// engine, which names the expression and its conversion itself, leaves
// it out.
const NumberTextHint = "write the number without quotes"

// stringHint adds to err, the refusal of text s given to p, what to write
// instead: a list of its words, or the number the text holds, as a
// threshold written "90%" or "2G" in a playbook reads.
func stringHint(p *Param, s string, err error) error {
	switch p.Type {
	case TypeList:
		if sh := ShellSyntax(s); sh != "" {
			// Split into words, a pipe or a quote would reach the
			// program as a word of its own: no list to suggest.
			return fmt.Errorf("%w, and a list runs no shell: %q here would be a plain word", err, sh)
		}
		if f := strings.Fields(s); len(f) > 0 && len(s) <= 80 {
			return fmt.Errorf("%w; write it as a list, like [%s]", err, strings.Join(f, ", "))
		}
	case TypeBool:
		return boolHint(s, err)
	case TypeInteger, TypeNumber:
		t := strings.TrimSpace(s)
		n, pct := strings.CutSuffix(t, "%")
		if n = strings.TrimSpace(n); isNumber(n) && p.Type == TypeInteger && !isWhole(n) {
			// Written as advised, it would be refused again.
			return fmt.Errorf("%w; it takes a whole number, written without quotes, not %s", err, n)
		}
		if pct && isNumber(n) {
			return fmt.Errorf("%w; a percentage is written as the number alone, %s, not %q", err, n, s)
		}
		if isNumber(t) {
			// int() and float() read the text as it is: "3\n" and, for
			// int(), "3.0" need more than the bare call.
			conv, _ := suggest.NumberFrom("x", p.Type == TypeInteger, s)
			return fmt.Errorf("%w; %s, %s (from ${{ }}, convert it with %s)", err, NumberTextHint, t, conv)
		}
		if n, ok := sizeBytes(t); ok && strings.Contains(p.Description, "bytes") {
			return fmt.Errorf("%w; give the size as a whole number of bytes, %d for %s (units of 1024)", err, n, t)
		}
	}
	return err
}

// boolHint adds to err, the refusal of text s given to a bool, the value
// meant: true or false without quotes (YAML 1.2 reads yes, no, on and off
// as text, where Ansible's YAML 1.1 read them as bools), or a condition
// written without the ${{ }} that makes it an expression.
func boolHint(s string, err error) error {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "true", "yes", "on", "y":
		return fmt.Errorf("%w; write true, without quotes (YAML reads %q as text)", err, t)
	case "false", "no", "off", "n":
		return fmt.Errorf("%w; write false, without quotes (YAML reads %q as text)", err, t)
	}
	if t != "" && !strings.Contains(t, "${{") && len(t) <= 80 && looksLikeCondition(t) {
		return fmt.Errorf("%w; a condition is an expression: write it inside ${{ }}, like ${{ %s }}", err, t)
	}
	return err
}

// looksLikeCondition reports whether s reads as an expression: it
// compares or joins values, or names a value by a dotted path such as
// inputs.force.
func looksLikeCondition(s string) bool {
	if strings.ContainsAny(s, "=<>&|") || strings.HasPrefix(s, "!") {
		return true
	}
	return dottedName.MatchString(s)
}

var dottedName = regexp.MustCompile(`^[A-Za-z_]\w*(\.\w+)+$`)

// isWhole reports whether the number s holds is an integer (3, 3.0).
func isWhole(s string) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil && f == math.Trunc(f)
}

func isNumber(s string) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
}

// sizeRE matches a size as people write it: 512K, 100M, 1.5GiB, 2 GB.
var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([KkMGTP])(?:i?B)?$`)

// sizeBytes reads a size written with a unit, in units of 1024.
func sizeBytes(s string) (int64, bool) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	f *= math.Pow(1024, float64(strings.IndexByte("KMGTP", strings.ToUpper(m[2])[0])+1))
	if f > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// enumMeant is ` (did you mean "x"?)` for a string v close to one of
// enum's strings, else "".
func enumMeant(enum []any, v any) string {
	s, ok := v.(string)
	if !ok {
		return ""
	}
	var words []string
	for _, e := range enum {
		if w, ok := e.(string); ok {
			words = append(words, w)
		}
	}
	return suggest.DidYouMean(s, words)
}

// paramNames lists the names of s's params, in order.
func (s *Spec) paramNames() []string {
	names := make([]string, len(s.Params))
	for i, p := range s.Params {
		names[i] = p.Name
	}
	return names
}

// meant returns the param an unknown param k likely names: a close
// spelling or another tool's word for it, or else the one param whose
// name k starts up to a "_" (name for name_regex); "" when none is.
func (s *Spec) meant(k string) string {
	names := s.paramNames()
	if m, ok := suggest.Meant(k, names); ok {
		return m
	}
	meant := ""
	for _, n := range names {
		if strings.HasPrefix(n, k+"_") {
			if meant != "" {
				return ""
			}
			meant = n
		}
	}
	return meant
}

func (s *Spec) paramList() string {
	if len(s.Params) == 0 {
		return s.Name + " takes no parameters"
	}
	return s.Name + " takes " + strings.Join(s.paramNames(), ", ")
}

// quoteHint is what to write for v, a number or bool that YAML read where
// text of type t is wanted (a version 1.10, a port 8080 in a command's
// words): to quote it. No example is given, as YAML has already changed
// what was written (1.10 is 1.1, 0644 is 420); "" for other values.
func quoteHint(t Type, v any) string {
	if t != TypeString {
		return ""
	}
	switch v.(type) {
	case int, int64, float64:
		return fmt.Sprintf("%s: unquoted, YAML reads it as the number %v", QuoteHint, v)
	case bool:
		return fmt.Sprintf("%s: unquoted, YAML reads it as the bool %v", QuoteHint, v)
	}
	return ""
}

// QuoteHint begins the advice given for a number or bool where text is
// wanted, which is a value's as YAML wrote it: the engine, which names
// the expression a value came from and its conversion, leaves it out.
const QuoteHint = "quote it as you mean it"
