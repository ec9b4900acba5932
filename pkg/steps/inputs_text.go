package steps

import (
	"fmt"
	"strconv"
)

// NumberTextError is a number or integer input given as text (--input
// k=v, an environment variable, a from_file) that is no number. It says
// how to write one; a front end that knows how the text was passed
// says it in that form (Passed).
type NumberTextError struct {
	Type InputType
	Text string
}

func (e *NumberTextError) Error() string {
	return e.Passed("%s")
}

// Passed is the error with the example written in form, a format with
// one %s for the value, as "--input count=%s".
func (e *NumberTextError) Passed(form string) string {
	what, ex := "digits alone", "42"
	if e.Type == InputNumber {
		what, ex = "a number alone", "2.5"
	}
	return fmt.Sprintf("want %s, got %s; write %s, as %s, without quotes, units or separators", article(e.Type), strconv.Quote(e.Text), what, fmt.Sprintf(form, ex))
}

// UnitlessDurationError is a duration input given as a number alone, as
// 30 or "30", which has no unit: it says how to write it with one; a
// front end that knows how the text was passed says it in that form
// (Passed).
type UnitlessDurationError struct {
	Number string // as given, without spaces
}

func (e *UnitlessDurationError) Error() string {
	return e.Passed("%s")
}

// Passed is the error with the examples written in form, a format with
// one %s for the value, as "--input wait=%s".
func (e *UnitlessDurationError) Passed(form string) string {
	n := e.Number
	return fmt.Sprintf("%s has no unit; write it with one, like %s or %s", n, fmt.Sprintf(form, n+"s"), fmt.Sprintf(form, n+"m"))
}
