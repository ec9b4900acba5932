package report

import (
	"bytes"
	"regexp"
	"strings"
)

// OtherKind names what data is when it is a file a run reads or writes
// other than the JSON report: a playbook, the JUnit XML or HTML report,
// the Markdown summary. "" when it is none of them. Only the first 4 KiB
// are looked at.
func OtherKind(data []byte) string {
	head := data[:min(len(data), 4096)]
	text := string(bytes.TrimSpace(head))
	lower := strings.ToLower(text)
	switch {
	case strings.HasPrefix(lower, "<?xml") || strings.HasPrefix(lower, "<testsuites"):
		return "XML, as the JUnit report 'run --junit' writes"
	case strings.HasPrefix(lower, "<!doctype html") || strings.HasPrefix(lower, "<html"):
		return "HTML, as the report 'run --html' writes"
	case markdownHeadRE.MatchString(text):
		return "Markdown, as the summary 'run --markdown' writes"
	case playbookHeadRE.MatchString(text):
		return KindPlaybook
	}
	return ""
}

// KindPlaybook is what OtherKind calls a playbook.
const KindPlaybook = "a playbook"

// markdownHeadRE matches the head of the summary 'run --markdown' writes:
// a level-3 heading, then the line naming the run.
var markdownHeadRE = regexp.MustCompile("^### .*\n\nrun `")

// playbookHeadRE matches a playbook's top-level steps: key.
var playbookHeadRE = regexp.MustCompile(`(?m)^steps:`)
