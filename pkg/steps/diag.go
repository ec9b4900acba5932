// Package steps holds the playbook format: its types, the strict YAML loader
// and the static validation that runs before anything executes. It imports
// nothing from the engine; the engine turns a loaded Playbook into a plan.
package steps

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a 1-based line and column in a playbook file.
type Pos struct {
	Line, Col int
}

// Diagnostic is one problem found in a playbook.
type Diagnostic struct {
	File string
	Pos  Pos
	Msg  string
}

func (d *Diagnostic) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Pos.Line, d.Pos.Col, d.Msg)
}

// Diagnostics are every problem found in one load, sorted by position. As an
// error it prints one problem a line.
type Diagnostics []*Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

func (ds Diagnostics) sort() {
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
}

// diags collects diagnostics for one file.
type diags struct {
	file string
	list Diagnostics
}

func (d *diags) add(p Pos, format string, args ...any) {
	if p.Line == 0 {
		p = Pos{1, 1}
	}
	d.list = append(d.list, &Diagnostic{File: d.file, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (d *diags) err() error {
	if len(d.list) == 0 {
		return nil
	}
	d.list.sort()
	// The same problem reached twice (an alias used in two places) is shown once.
	out := d.list[:0]
	for i, x := range d.list {
		if i > 0 && x.Pos == d.list[i-1].Pos && x.Msg == d.list[i-1].Msg {
			continue
		}
		out = append(out, x)
	}
	return out
}
