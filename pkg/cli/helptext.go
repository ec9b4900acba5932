package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// helpWidth is the width help fits: its prose is written to it, and the
// synopses, the flags' and commands' descriptions and the exit codes are
// wrapped to it, so that help reads on an 80-column terminal rather than
// each long line wrapping into the first column.
const helpWidth = 80

// writeOverview prints the program's usage and its commands.
func writeOverview(w io.Writer, cmds []*command) {
	fmt.Fprintf(w, "%s runs playbooks: YAML files that chain operations as steps.\n\n", program)
	fmt.Fprintf(w, "Usage: %s COMMAND [ARGS] [FLAGS]\n\nCommands:\n", program)
	rows := make([][2]string, 0, len(cmds)+1)
	for _, c := range cmds {
		rows = append(rows, [2]string{c.name, c.summary})
	}
	writeColumns(w, append(rows, [2]string{"help", "show help for a command: help COMMAND"}))
	fmt.Fprintf(w, "\nRun '%s COMMAND --help' for a command's flags.\n", program)
	writeWrapped(w, "Exit codes: 0 ok, 1 run failed (or output not written), 2 usage or validation error, 3 denied, 129/130/143 cancelled by a signal.")
}

// writeCommandHelp prints a command's usage, description, flags and exit
// codes. fs may be nil for a command without flags.
func writeCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	writeSynopsis(w, c.synopsis)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	var rows [][2]string
	if fs != nil {
		fs.VisitAll(func(f *flag.Flag) {
			arg, usage := flag.UnquoteUsage(f)
			left := "--" + f.Name
			if arg != "" {
				left += " " + arg
			}
			if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "[]" {
				usage += fmt.Sprintf(" (default %s)", d)
			}
			rows = append(rows, [2]string{left, usage})
		})
	}
	fmt.Fprintf(w, "\nFlags:\n")
	writeColumns(w, append(rows, [2]string{"-h, --help", "show this help"}))
	extra := helpExtras[c.name]
	writeExamples(w, extra.examples)
	if c.exits != "" {
		fmt.Fprintln(w)
		writeWrapped(w, "Exit codes: "+strings.TrimSpace(c.exits))
	}
	if extra.docs != "" {
		fmt.Fprintln(w)
		writeWrapped(w, "Documentation (in the arsenal-run source tree): "+extra.docs+".")
	}
}

// writeExamples prints a command's examples: each "# ..." line says what
// the command line under it does.
func writeExamples(w io.Writer, examples string) {
	if examples = strings.TrimSpace(examples); examples == "" {
		return
	}
	fmt.Fprintf(w, "\nExamples:\n")
	for _, l := range strings.Split(examples, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// writeSynopsis prints a command's forms, one per line of synopsis that
// does not start with a space (an indented line continues the one before),
// each wrapped between its bracketed groups and continued under its first
// argument, as a manual page's synopsis is.
func writeSynopsis(w io.Writer, synopsis string) {
	var forms []string
	for _, l := range strings.Split(strings.TrimSpace(synopsis), "\n") {
		if strings.HasPrefix(l, " ") && len(forms) > 0 {
			forms[len(forms)-1] += " " + strings.TrimSpace(l)
			continue
		}
		forms = append(forms, strings.TrimSpace(l))
	}
	for i, form := range forms {
		lead := "       "
		if i == 0 {
			lead = "Usage: "
		}
		groups := synopsisGroups(form)
		line := lead + program + " " + groups[0]
		indent := strings.Repeat(" ", len(line)+1)
		for _, g := range groups[1:] {
			pieces := splitWide(g, helpWidth-len(indent))
			for j, piece := range pieces {
				// A group split across lines starts a line, and its
				// pieces after the first go under its first word,
				// inside its bracket.
				at := indent
				if j > 0 {
					at += " "
				}
				split := j == 0 && len(pieces) > 1
				if (split || len(line)+1+len(piece) > helpWidth) && strings.TrimSpace(line) != "" && len(line) > len(at) {
					fmt.Fprintln(w, line)
					line = at[:len(at)-1]
				}
				line += " " + piece
			}
		}
		fmt.Fprintln(w, line)
	}
}

// splitWide splits a bracketed group of alternatives wider than width
// after each of its "|", the bracket kept on its first and last pieces,
// so that "(--state-dir DIR | --state URL [--report-dir DIR] --audit-log
// FILE)" is continued on the next line, one alternative on each, rather
// than run past the terminal's columns. A group that fits, or has no
// alternatives, is one piece.
func splitWide(g string, width int) []string {
	if len(g) <= width || len(g) < 2 || !strings.ContainsAny(g[:1], "[(") {
		return []string{g}
	}
	var pieces []string
	cur := g[:1]
	for _, w := range synopsisGroups(g[1 : len(g)-1]) {
		if cur != "" && cur != g[:1] {
			cur += " "
		}
		cur += w
		if w == "|" {
			pieces = append(pieces, cur)
			cur = ""
		}
	}
	return append(pieces, cur+g[len(g)-1:])
}

// synopsisGroups splits a form at the spaces outside brackets and
// parentheses, so that "[--state URL [--report-dir DIR]]" stays whole.
// The first group is the command's name.
func synopsisGroups(form string) []string {
	var groups []string
	depth, start := 0, 0
	for i, r := range form {
		switch r {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
		case ' ':
			if depth == 0 {
				if i > start {
					groups = append(groups, form[start:i])
				}
				start = i + 1
			}
		}
	}
	if start < len(form) {
		groups = append(groups, form[start:])
	}
	if len(groups) == 0 {
		return []string{""}
	}
	return groups
}

// writeColumns prints name and description rows, the descriptions in one
// column wrapped to fit helpWidth.
func writeColumns(w io.Writer, rows [][2]string) {
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	indent := 2 + width + 2
	for _, r := range rows {
		for i, l := range termtext.Wrap(r[1], max(helpWidth-indent, 30)) {
			if i == 0 {
				fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], l)
			} else {
				fmt.Fprintf(w, "%*s%s\n", indent, "", l)
			}
		}
	}
}

// writeWrapped prints a paragraph wrapped to helpWidth, its later lines
// indented by two spaces.
func writeWrapped(w io.Writer, text string) {
	fmt.Fprintf(w, "%s\n", strings.Join(termtext.Wrap(text, helpWidth-2), "\n  "))
}
