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
