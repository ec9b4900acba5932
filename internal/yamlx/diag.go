package yamlx

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a 1-based line and column in a file.
type Pos struct {
	Line, Col int
}

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	File string
	Pos  Pos
	Msg  string
}

func (d *Diagnostic) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Pos.Line, d.Pos.Col, d.Msg)
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

// Diags collects the diagnostics of one file.
type Diags struct {
	File string
	List Diagnostics
}

// Add records a problem at p; a zero position becomes 1:1.
func (d *Diags) Add(p Pos, format string, args ...any) {
	if p.Line == 0 {
		p = Pos{1, 1}
	}
	d.List = append(d.List, &Diagnostic{File: d.File, Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the problems sorted by position, each once, or nil.
func (d *Diags) Err() error {
	if len(d.List) == 0 {
		return nil
	}
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
	out := ds[:0]
	for i, x := range ds {
		if i > 0 && x.Pos == ds[i-1].Pos && x.Msg == ds[i-1].Msg {
			continue
		}
		out = append(out, x)
	}
	d.List = out
	return out
}
