package cli

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTableWrapsToTheTerminal: on a terminal a table's last column that
// would run past the width wraps at spaces under itself, or, with no room
// beside the other columns, under its row, indented; without a width
// (piped) every row is one line, as scripts read it.
func TestTableWrapsToTheTerminal(t *testing.T) {
	tab := &table{header: []string{"NAME", "RISK", "DESCRIPTION"}}
	tab.add("archive.create", "write", "Pack a directory (its contents, named relative to it) or one file into a tar.gz or zip archive.")
	tab.add("control.log", "read", "Write a message to the run's log.")
	write := func(width int) string {
		var b bytes.Buffer
		tab.writeWidth(&b, palette{}, width)
		return b.String()
	}
	beside := `NAME            RISK   DESCRIPTION
archive.create  write  Pack a directory (its contents, named
                       relative to it) or one file into a
                       tar.gz or zip archive.
control.log     read   Write a message to the run's log.
`
	if diff := cmp.Diff(beside, write(61)); diff != "" {
		t.Errorf("at 61 columns (-want +got):\n%s", diff)
	}
	under := `NAME            RISK   DESCRIPTION
archive.create  write
    Pack a directory (its contents,
    named relative to it) or one file
    into a tar.gz or zip archive.
control.log     read
    Write a message to the run's log.
`
	if diff := cmp.Diff(under, write(40)); diff != "" {
		t.Errorf("at 40 columns (-want +got):\n%s", diff)
	}
	whole := `NAME            RISK   DESCRIPTION
archive.create  write  Pack a directory (its contents, named relative to it) or one file into a tar.gz or zip archive.
control.log     read   Write a message to the run's log.
`
	if diff := cmp.Diff(whole, write(0)); diff != "" {
		t.Errorf("without a width (-want +got):\n%s", diff)
	}
}

// TestTableCutsAWordLongerThanItsColumn: a word longer than the room of
// the last column (an expression, a path) is cut into lines of that room,
// so no line runs past the width into the next row.
func TestTableCutsAWordLongerThanItsColumn(t *testing.T) {
	tab := &table{header: []string{"STEP", "CONDITIONS"}}
	tab.add("stop", "foreach: filter(steps.find.output.processes, .cpu_percent > 90)")
	var b bytes.Buffer
	tab.writeWidth(&b, palette{}, 30)
	want := `STEP  CONDITIONS
stop  foreach:
      filter(steps.find.output
      .processes, .cpu_percent
      > 90)
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("at 30 columns (-want +got):\n%s", diff)
	}
}

// TestTableCountsColumns: a cell in Chinese, two columns a character,
// keeps the columns after it aligned, and a last column of it wraps to
// the terminal's columns, not to as many characters.
func TestTableCountsColumns(t *testing.T) {
	tab := &table{header: []string{"HOST", "STATUS", "NOTE"}}
	tab.add("数据库", "down", "磁盘空间不足 请清理日志目录 然后重试 三次以后 联系值班人员")
	tab.add("web-01", "up", "")
	var b bytes.Buffer
	tab.writeWidth(&b, palette{}, 40)
	want := `HOST    STATUS  NOTE
数据库  down    磁盘空间不足
                请清理日志目录 然后重试
                三次以后 联系值班人员
web-01  up
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("at 40 columns (-want +got):\n%s", diff)
	}
}

// TestTableWrapsALongColumnBeforeTheLast: a playbook name or run id wider
// than the terminal leaves beside the other columns wraps within its own
// column, so that every line fits and the short columns (status, date,
// size) stay one line each, in line under their header.
func TestTableWrapsALongColumnBeforeTheLast(t *testing.T) {
	tab := &table{header: []string{"KEY", "PLAYBOOK", "STARTED (UTC)", "SIZE"}}
	tab.add("33d4355cfbfc", "a-really-long-playbook-name-for-checking-column-widths", "2026-12-05 13:03:39", "206 B")
	tab.add("b694998f0681", "short", "2026-12-05 13:03:40", "215 B")
	var b bytes.Buffer
	tab.writeWidth(&b, palette{}, 60)
	want := `KEY           PLAYBOOK            STARTED (UTC)        SIZE
33d4355cfbfc  a-really-long-play  2026-12-05 13:03:39  206 B
              book-name-for-chec
              king-column-widths
b694998f0681  short               2026-12-05 13:03:40  215 B
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("at 60 columns (-want +got):\n%s", diff)
	}
	// Too narrow even so: each row stays whole, for the terminal to wrap.
	b.Reset()
	tab.writeWidth(&b, palette{}, 40)
	if got := b.String(); !bytes.Contains([]byte(got), []byte("a-really-long-playbook-name-for-checking-column-widths  2026")) {
		t.Errorf("at 40 columns the rows changed:\n%s", got)
	}
}

// TestTableHeaderOfAColumnWrittenUnder: when the last column has no room
// beside the others and goes under each row, its header's name, which
// did not fit beside the other names either, ran past the width, and
// the terminal wrapped it onto a line of its own at the left ('remote
// runs' at 80 columns, NOTE); it goes under the header, as the cells go
// under their rows.
func TestTableHeaderOfAColumnWrittenUnder(t *testing.T) {
	tab := &table{header: []string{"NAME", "STATUS", "NOTE"}}
	tab.add("a-rather-long-name", "cancelled", "cancelled: the service stopped while the run was going")
	var b bytes.Buffer
	tab.writeWidth(&b, palette{}, 34)
	want := `NAME                STATUS
    NOTE
a-rather-long-name  cancelled
    cancelled: the service stopped
    while the run was going
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("at 34 columns (-want +got):\n%s", diff)
	}
}
