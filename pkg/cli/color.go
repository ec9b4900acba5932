package cli

import (
	"io"

	"github.com/mattn/go-isatty"
)

// palette colours text for one output stream; the zero palette leaves text
// as it is.
type palette struct{ on bool }

// paletteFor colours w only when it is a terminal, NO_COLOR is unset or
// empty (https://no-color.org) and TERM is not "dumb".
func (e *env) paletteFor(w io.Writer) palette {
	f, ok := fileOf(w)
	if !ok || e.getenv("NO_COLOR") != "" || e.getenv("TERM") == "dumb" {
		return palette{}
	}
	return palette{on: isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())}
}

func (p palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) bold(s string) string   { return p.wrap("1", s) }
func (p palette) dim(s string) string    { return p.wrap("2", s) }
func (p palette) red(s string) string    { return p.wrap("31", s) }
func (p palette) green(s string) string  { return p.wrap("32", s) }
func (p palette) yellow(s string) string { return p.wrap("33", s) }

// risk colours a risk level by how much it can change.
func (p palette) risk(s string) string {
	switch s {
	case "write":
		return p.yellow(s)
	case "destructive":
		return p.red(s)
	}
	return s
}
