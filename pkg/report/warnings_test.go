package report

import (
	"strings"
	"testing"
)

// TestRunWarningsAreShown: a run's warnings (a playbook's file changed
// since the server loaded it) are in the text summary, the Markdown job
// summary and the HTML page, not only in the JSON a reader must open.
func TestRunWarningsAreShown(t *testing.T) {
	r := loadGolden(t, "continue-on-error")
	const w = "the playbook's file deploy.yaml changed since it was loaded, and this run runs it as loaded <b>"
	r.Warnings = []string{w}

	text := renderText(t, r)
	if !strings.Contains(text, "\n  warning: "+w+"\n") {
		t.Errorf("text summary has no line with the warning:\n%s", text)
	}
	md := renderMarkdown(t, r)
	if !strings.Contains(md, "> [!WARNING]\n> the playbook") || !strings.Contains(md, "as loaded &lt;b&gt;") {
		t.Errorf("Markdown summary has no escaped warning in a WARNING block:\n%s", md)
	}
	html := renderHTML(t, r)
	if !strings.Contains(html, `<div class="meta warning">warning: the playbook&#39;s file deploy.yaml changed since it was loaded, and this run runs it as loaded &lt;b&gt;</div>`) {
		t.Errorf("HTML page has no escaped warning at its head:\n%s", html)
	}
}
