package policy

import (
	"context"
	"errors"
	"os"

	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// sourceCould is what the writer of a swappable source could do.
const sourceCould = "choose what the runs that read it install, with their rights and roles"

// SwappableSource is the error for a local file whose content the call
// installs elsewhere, what at abs (like "the template"), when the call
// refuses swappable files (ops.Call.RefuseSwappable: serve and schedule)
// and a user of the host other than this process's and root could change
// it or put a file of their own in its place (fsx.PathAnyoneMayWrite: a
// template in /tmp rendered into /etc); nil otherwise. f, when not nil,
// is the file as opened, whose mode is judged; judged once read or open,
// so that a file made or replaced before is seen.
func SwappableSource(ctx context.Context, f *os.File, abs, what string) error {
	if !ops.CallFrom(ctx).RefuseSwappable {
		return nil
	}
	var msg string
	if f != nil {
		msg = fsx.AnyoneMayWrite(f, abs, what, sourceCould)
	} else {
		msg = fsx.PathAnyoneMayWrite(abs, what, sourceCould)
	}
	if msg == "" {
		return nil
	}
	return ops.WithClass(ops.ClassValidation, errors.New(msg))
}

// swappableOpen is the error, of class validation, for the file opened as
// f from abs, what (like "the inventory"), that another user of the host
// could change or put a file of their own in place of, naming what they
// could then do; nil when none could.
func swappableOpen(f *os.File, abs, what, could string) error {
	if msg := fsx.AnyoneMayWrite(f, abs, what, could); msg != "" {
		return ops.WithClass(ops.ClassValidation, swappableError(msg))
	}
	return nil
}

// swappableError is swappableOpen's refusal, told apart by IsSwappable.
type swappableError string

func (e swappableError) Error() string { return string(e) }

// IsSwappable reports whether err is the refusal of a file another user
// could swap (ReadTrustedFileOf), of class validation.
func IsSwappable(err error) bool {
	var se swappableError
	return errors.As(err, &se)
}
