package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// validateFormats are the values of validate --format: text for people,
// json for tools (schema/validate.schema.json), github for the annotations
// of GitHub Actions.
var validateFormats = []string{"text", "json", "github"}

// validateDoc is what validate --format json prints: one document on
// stdout. Its schema is schema/validate.schema.json.
type validateDoc struct {
	Version  int               `json:"version"`
	Valid    bool              `json:"valid"`
	ExitCode int               `json:"exit_code"`
	Files    []validateFile    `json:"files"`
	Problems []validateProblem `json:"problems"`
	Summary  validateSummary   `json:"summary"`
}

// validateFile is one file checked, or left out of a directory.
type validateFile struct {
	File string `json:"file"`
	// Status is ok, invalid, denied or skipped.
	Status    string             `json:"status"`
	Steps     *int               `json:"steps,omitempty"`
	Reason    string             `json:"reason,omitempty"` // why it was skipped
	Decisions []validateDecision `json:"decisions,omitempty"`
}

type validateDecision struct {
	Step    string `json:"step"`
	Op      string `json:"op"`
	Risk    string `json:"risk"`
	Allowed bool   `json:"allowed"`
	Rule    string `json:"rule"`
}

// validateProblem is one error or warning; Line and Column are 0 when the
// problem has no position (an unreadable directory, an authorization error),
// File is "" for a usage error, which is no file's.
type validateProblem struct {
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

type validateSummary struct {
	Playbooks   int `json:"playbooks"`
	Invalid     int `json:"invalid"`
	Errors      int `json:"errors"`
	Denied      int `json:"denied"`
	DeniedSteps int `json:"denied_steps"`
}

// report prints err, the problems of file: in text as they are, one a line
// on stderr; in json into the document; in github as workflow commands.
func (v *validation) report(file string, err error) {
	var ds steps.Diagnostics
	var d *steps.Diagnostic
	switch {
	case v.format == "text":
		fmt.Fprintln(v.e.stderr, err)
	case errors.As(err, &ds):
		v.diagnostics(ds)
	case errors.As(err, &d):
		v.diagnostics(steps.Diagnostics{d})
	default:
		v.problem(validateProblem{File: file, Severity: "error", Message: err.Error()})
	}
}

// diagnostics reports problems and warnings that carry their positions.
func (v *validation) diagnostics(ds steps.Diagnostics) {
	if v.format == "text" {
		for _, d := range ds {
			fmt.Fprintln(v.e.stderr, d)
		}
		return
	}
	for _, d := range ds {
		v.problem(validateProblem{File: d.File, Line: d.Pos.Line, Column: d.Pos.Col, Severity: d.Severity.String(), Message: d.Msg})
	}
}

// problemf reports a problem of file without a position; in text it reads
// "file: message".
func (v *validation) problemf(file, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if v.format == "text" {
		fmt.Fprintf(v.e.stderr, "%s: %s\n", file, msg)
		return
	}
	v.problem(validateProblem{File: file, Severity: "error", Message: msg})
}

func (v *validation) problem(p validateProblem) {
	if v.format == "json" {
		v.doc.Problems = append(v.doc.Problems, p)
		return
	}
	p.File = v.githubFile(p.File)
	fmt.Fprintln(v.e.stdout, githubCommand(p))
}

// githubFile is file as an annotation names it: inside a GitHub Actions
// job, relative to its workspace, which GitHub reads annotation paths
// against whatever the step's working directory; elsewhere as given.
func (v *validation) githubFile(file string) string {
	ws := v.e.getenv("GITHUB_WORKSPACE")
	if ws == "" || file == "" {
		return file
	}
	return githubFile(ws, file)
}

// note prints a line for people, on stderr, that the json document leaves
// out since its problems say it.
func (v *validation) note(format string, args ...any) {
	if v.format != "json" {
		fmt.Fprintf(v.e.stderr, format+"\n", args...)
	}
}

// fileDone records the status of a file in the json document.
func (v *validation) fileDone(f validateFile) {
	if v.format == "json" {
		v.doc.Files = append(v.doc.Files, f)
	}
}

// decided records the verdicts on the steps of pb, read from file; in
// github each denied step is also an error annotation at the step (a
// sub-playbook's, at the playbook.run step that reaches it).
func (v *validation) decided(file string, pb *steps.Playbook, ds []auth.StepDecision) []validateDecision {
	at := map[string]steps.Pos{}
	for _, s := range pb.AllSteps() {
		at[s.ID] = s.Pos
	}
	var out []validateDecision
	for _, d := range ds {
		rule := d.Decision.Rule
		if d.Decision.Via != "" && d.Decision.Via != "direct" {
			rule += " via " + d.Decision.Via
		}
		out = append(out, validateDecision{Step: d.Step, Op: d.Op, Risk: string(d.Risk), Allowed: d.Decision.Allowed, Rule: rule})
		if v.format == "github" && !d.Decision.Allowed {
			id, _, _ := strings.Cut(d.Step, "/")
			pos := at[id]
			fmt.Fprintln(v.e.stdout, githubCommand(validateProblem{File: v.githubFile(file), Line: pos.Line, Column: pos.Col, Severity: "error",
				Message: fmt.Sprintf("step %s (%s, risk %s) is DENIED for %s: %s", d.Step, d.Op, d.Risk, strings.Join(v.roles, ", "), rule)}))
		}
	}
	return out
}

// finish prints the json document, when that is the format, and returns
// code.
func (v *validation) finish(code int) int {
	if v.format != "json" {
		return code
	}
	v.doc.Version = 1
	v.doc.ExitCode = code
	v.doc.Valid = code == ExitOK
	// Errors are those of problems, the policy's and the inventory's
	// included, which no playbook's tally holds.
	errs := 0
	for _, p := range v.doc.Problems {
		if p.Severity == "error" {
			errs++
		}
	}
	// A directory without playbooks counts as an invalid entry here, as
	// the schema has it.
	nDirs := len(v.dirsBad)
	v.doc.Summary = validateSummary{Playbooks: v.total + nDirs, Invalid: v.bad + nDirs, Errors: errs, Denied: v.denied, DeniedSteps: v.nDenied}
	if v.doc.Files == nil {
		v.doc.Files = []validateFile{}
	}
	if v.doc.Problems == nil {
		v.doc.Problems = []validateProblem{}
	}
	enc := json.NewEncoder(v.e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v.doc); err != nil {
		fmt.Fprintf(v.e.stderr, "cannot write the json document: %v\n", err)
		return ExitFailed
	}
	return code
}

// usageError reports a usage problem: in json as a problem of no file in
// the document, in github as an annotation of no file (GitHub shows it in
// the run's summary), with the pointer to the help the text gives; in text
// on stderr as every command does. It returns ExitUsage.
func (v *validation) usageError(c *command, msg string) int {
	if v.format == "text" {
		return usageError(v.e, c, "%s", msg)
	}
	v.problem(validateProblem{Severity: "error", Message: fmt.Sprintf("%s; run '%s %s --help' for usage", msg, program, c.name)})
	return v.finish(ExitUsage)
}

// formatAsked is the value of --format in args, read before they are
// parsed so that a usage error found while parsing them is reported in
// that format: "" when args hold none.
func formatAsked(args []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "-")
		name, val, hasVal := strings.Cut(name, "=")
		if name != "format" {
			continue
		}
		if !hasVal {
			if i+1 == len(args) {
				return ""
			}
			val = args[i+1]
		}
		return formatName(val, validateFormats)
	}
	return ""
}

// githubCommand is p as a GitHub Actions workflow command, such as
// ::error file=a.yaml,line=3,col=5::message, escaped as the runner reads it;
// ::error::message for a problem of no file.
func githubCommand(p validateProblem) string {
	return githubAnnotation(p.Severity, p.File, steps.Pos{Line: p.Line, Col: p.Column}, "", p.Message)
}

// githubData escapes the message of a workflow command.
func githubData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// githubProperty escapes the value of a workflow command's property.
func githubProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// formatName is a --format value as the formats list names it: in any
// case, as --status and --log-level take theirs, and md for markdown,
// the extension a Markdown file has.
func formatName(v string, formats []string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "md" && contains(formats, "markdown") {
		return "markdown"
	}
	return v
}
