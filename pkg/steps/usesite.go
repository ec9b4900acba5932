package steps

import "fmt"

// within makes the problems reported until restore is called name the
// step they belong to and the alias through which it reaches them, when
// they stand in a value the step takes from an anchor (see
// yamlx.Diags.Within): an anchor used by several steps is one position
// in the file, and a problem there may be one step's only. It puts back
// the owners in force when the step was read: its list of steps, and
// the step a rescue step belongs to.
func (l *loader) within(s *Step) (restore func()) {
	if s == nil {
		return func() {}
	}
	return l.d.WithinAll(s.owners)
}

// describe names s in a message: by its id, or where it starts while
// the id is not known yet.
func (s *Step) describe() string {
	what, of := "step", ""
	switch s.Section {
	case SectionSteps:
	case SectionRescue:
		what = "rescue step"
	case SectionNotify:
		what = "notify entry"
	default:
		of = " of " + string(s.Section)
	}
	if s.ID == "" {
		return fmt.Sprintf("the %s%s at line %d, column %d", what, of, s.Pos.Line, s.Pos.Col)
	}
	return what + " " + s.ID + of
}
