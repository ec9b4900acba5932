package steps

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Constraint limits the values an input may take. A playbook gives one per
// input (enum, min, max, pattern); a policy grant may give its own for the
// inputs of the runbook it delegates. Every part that is set must hold.
type Constraint struct {
	Enum []any // the allowed values, compared as JSON data
	Min  *float64
	Max  *float64
	// Pattern is an RE2 expression the whole value must match: it is
	// anchored at both ends whether or not it says ^ and $.
	Pattern string
	re      *regexp.Regexp
}

// SetPattern compiles and sets the pattern.
func (c *Constraint) SetPattern(p string) error {
	if _, err := regexp.Compile(p); err != nil {
		return fmt.Errorf("pattern %s is not an RE2 regular expression: %v", quotePattern(p), err)
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return fmt.Errorf("pattern %s cannot be anchored: %v", quotePattern(p), err)
	}
	c.Pattern, c.re = p, re
	return nil
}

// IsZero reports whether the constraint allows every value.
func (c *Constraint) IsZero() bool {
	return len(c.Enum) == 0 && c.Min == nil && c.Max == nil && c.re == nil
}

// Check reports whether v, a value of the input's type, meets the
// constraint.
func (c *Constraint) Check(v any) error {
	if len(c.Enum) > 0 && !slicesContainsData(c.Enum, v) {
		return fmt.Errorf("%s is not an allowed value%s; give one of: %s", showValue(v), enumHint(v, c.allowedEnum()), showList(c.Enum))
	}
	if c.Min != nil || c.Max != nil {
		f, ok := number(v)
		switch {
		case !ok:
			return fmt.Errorf("%s is not a number, so it cannot be checked against %s", showValue(v), c.bounds())
		case c.Min != nil && f < *c.Min, c.Max != nil && f > *c.Max:
			return fmt.Errorf("%v is out of range: it must be %s", v, c.bounds())
		}
	}
	if c.re != nil {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s is not a string, so it cannot match pattern %s", showValue(v), quotePattern(c.Pattern))
		}
		if !c.re.MatchString(s) {
			return fmt.Errorf("%q does not match pattern %s (the whole value must match)", s, quotePattern(c.Pattern))
		}
	}
	return nil
}

// String describes the constraint, like `one of api, worker` or
// `at most 500`; its parts are joined by "; ", as an enum's values are
// by ", ".
func (c *Constraint) String() string {
	var parts []string
	if len(c.Enum) > 0 {
		parts = append(parts, "one of "+showList(c.Enum))
	}
	if c.Min != nil || c.Max != nil {
		parts = append(parts, c.bounds())
	}
	if c.re != nil {
		parts = append(parts, "matching "+quotePattern(c.Pattern))
	}
	return strings.Join(parts, "; ")
}

// QuotePattern quotes a pattern for a message, as quotePattern does.
func QuotePattern(p string) string { return quotePattern(p) }

// quotePattern quotes a pattern with its text as the author wrote it: its
// backslashes as they are ("^v[0-9]+\.[0-9]+$", not "^v[0-9]+\\.[0-9]+$"),
// which %q would double; one holding a quote or a control character is
// quoted with Go's escapes, so that it still reads as one string.
func quotePattern(p string) string {
	if strconv.CanBackquote(p) && !strings.Contains(p, `"`) {
		return `"` + p + `"`
	}
	return strconv.Quote(p)
}

func (c *Constraint) bounds() string {
	switch {
	case c.Min != nil && c.Max != nil:
		return fmt.Sprintf("between %v and %v", *c.Min, *c.Max)
	case c.Min != nil:
		return fmt.Sprintf("at least %v", *c.Min)
	case c.Max != nil:
		return fmt.Sprintf("at most %v", *c.Max)
	}
	return "any number"
}

// SecretMismatch is what to say about a value that does not fit the
// secret input in: not the value, nor the parser's message, which may
// quote it, but what the input wants, so that the user knows what to
// give. Its enum is not listed, as the value given may be close to one.
func (in *Input) SecretMismatch() string {
	want := article(in.Type)
	switch in.Type {
	case InputList, InputMap:
		want += " (as JSON, like " + example(in.Type) + ", when given as text)"
	case InputBool:
		want = "true or false"
	}
	var parts []string
	c := &in.Constraint
	if c.Min != nil || c.Max != nil {
		parts = append(parts, c.bounds())
	}
	if c.re != nil {
		parts = append(parts, "matching "+quotePattern(c.Pattern)+" whole")
	}
	if len(c.Enum) > 0 {
		parts = append(parts, "that is one of the values its enum lists")
	}
	if len(parts) > 0 {
		want += " " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("the value does not fit this secret %s input (it is not shown); give %s", in.Type, want)
}

// patternHint is what to give instead of v, a value of in's type that its
// pattern refused: the value it likely meant (patternMeant), the input's
// description, and its default as
// an example of the form; "" when v was refused for something else or
// there is nothing to say. A secret input's hint names nothing made from
// the value, which masking would not catch, nor its default.
func patternHint(in *Input, v any) string {
	s, ok := v.(string)
	if !ok || in.re == nil || in.re.MatchString(s) || len(in.Enum) > 0 && !slicesContainsData(in.Enum, v) {
		return ""
	}
	var parts []string
	meant := ""
	if !in.Secret {
		meant = in.patternMeant(s)
		if meant != "" {
			parts = append(parts, fmt.Sprintf("did you mean %q?", meant))
		}
	}
	var give []string
	if d := strings.TrimRight(strings.Join(strings.Fields(in.Description), " "), "."); d != "" {
		give = append(give, "give "+d)
	}
	if def, ok := in.Default.(string); ok && !in.Secret && def != "" && def != s && def != meant && in.re.MatchString(def) {
		like := fmt.Sprintf("like %q (the default)", def)
		if len(give) == 0 {
			like = "give a value " + like
		}
		give = append(give, like)
	}
	if len(give) > 0 {
		parts = append(parts, strings.Join(give, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, " ")
}
