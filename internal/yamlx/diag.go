package yamlx

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos is a 1-based line and column in a file.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// Severity says whether a diagnostic stops the file from being used.
type Severity uint8

// The severities. The zero value is an error, so a diagnostic is an error
// unless it says otherwise.
const (
	// Error is a problem: the file is not used.
	Error Severity = iota
	// Warning is something that is probably a mistake but still loads,
	// such as text that looks like an expression and is not one.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	File     string   `json:"file"`
	Pos      Pos      `json:"pos"`
	Severity Severity `json:"severity"`
	Msg      string   `json:"message"`
	// bare is Msg without the note that names the alias it was reached
	// through (see Diags.Within); "" when there is none.
	bare string
	// core is Msg without the owner it starts with (see Diags.AddFor);
	// "" when it names none.
	core string
}

// Error prints file:line:col: message, with "warning: " before the message
// of a warning; file: message when the problem has no position (a file
// that cannot be read has no line).
func (d *Diagnostic) Error() string {
	where := fmt.Sprintf("%s:%d:%d", d.File, d.Pos.Line, d.Pos.Col)
	if d.Pos.Line == 0 {
		where = d.File
	}
	if d.Severity == Warning {
		return where + ": warning: " + d.Msg
	}
	return where + ": " + d.Msg
}

// Diagnostics are every problem found in one file, sorted by position. As
// an error it prints one problem a line.
type Diagnostics []*Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// Errors counts the diagnostics that are errors, not warnings.
func (ds Diagnostics) Errors() int {
	n := 0
	for _, d := range ds {
		if d.Severity == Error {
			n++
		}
	}
	return n
}

// Diags collects the diagnostics of one file.
type Diags struct {
	File string
	List Diagnostics

	within Owners                   // the owners in force, outermost first (see Within)
	sites  map[*yaml.Node][]useSite // what each owner reaches through aliases
}

// Add records a problem at p; a zero position becomes 1:1.
func (d *Diags) Add(p Pos, format string, args ...any) {
	d.add(Error, p, format, args...)
}

// Warn records a warning at p: reported, but the file still loads.
func (d *Diags) Warn(p Pos, format string, args ...any) {
	d.add(Warning, p, format, args...)
}

// AddFor records a problem at p of one owner, named by who ("step b"),
// which the message starts with: "step b: control.log: param level: …".
// Reached through an alias, the message names the owner by its use
// instead ("in step b, through *w at …: control.log: …"); and a problem of
// an anchor's own text is listed once, under the owner that writes it,
// not again for each owner that uses it.
func (d *Diags) AddFor(p Pos, who, format string, args ...any) {
	d.addFor(Error, p, who, format, args...)
}

func (d *Diags) add(s Severity, p Pos, format string, args ...any) {
	d.addFor(s, p, "", format, args...)
}

func (d *Diags) addFor(s Severity, p Pos, who, format string, args ...any) {
	if p.Line == 0 {
		p = Pos{1, 1}
	}
	x := &Diagnostic{File: d.File, Pos: p, Severity: s, Msg: fmt.Sprintf(format, args...)}
	if note := d.useNote(p); note != "" {
		x.bare, x.Msg = x.Msg, note+": "+x.Msg
	} else if who != "" {
		x.core, x.Msg = x.Msg, who+": "+x.Msg
	}
	d.List = append(d.List, x)
}

// Err returns nil when there is no error. Otherwise it returns every
// diagnostic, warnings included, sorted by position, each once.
func (d *Diags) Err() error {
	if d.sorted().Errors() == 0 {
		return nil
	}
	return d.List
}

// Warnings returns the warnings sorted by position, each once.
func (d *Diags) Warnings() Diagnostics {
	var out Diagnostics
	for _, x := range d.sorted() {
		if x.Severity == Warning {
			out = append(out, x)
		}
	}
	return out
}

// sorted sorts and deduplicates the list in place.
func (d *Diags) sorted() Diagnostics {
	ds := d.List
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		return a.Pos.Col < b.Pos.Col
	})
	// A problem the anchor's own text has, where it is written, is
	// not repeated for each alias that uses it: fixing it there fixes
	// them all. A problem only some uses have is listed for each.
	type at struct {
		pos Pos
		msg string
	}
	plain := map[at]bool{}
	for _, x := range ds {
		switch {
		case x.core != "":
			plain[at{x.Pos, x.core}] = true
		case x.bare == "":
			plain[at{x.Pos, x.Msg}] = true
		}
	}
	out := ds[:0]
	for i, x := range ds {
		if i > 0 && x.Pos == ds[i-1].Pos && x.Msg == ds[i-1].Msg || x.bare != "" && plain[at{x.Pos, x.bare}] {
			continue
		}
		out = append(out, x)
	}
	d.List = out
	return out
}
