package console

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A playbook whose names are as long as they may be, each one word: the
// step's id, and its inputs' names.
var longNamesPlaybooks = map[string]string{
	"renew-certificates": `version: 1
name: renew-certificates
inputs:
  a_very_long_input_name_that_goes_on_and_on_and_on_and_on: {type: string, default: x}
  environment_of_the_deployment_target: {type: string, default: staging-eu-west-1-with-a-long-name}
steps:
  - id: print_a_very_long_line_of_output_without_any_spaces_in_it_at_all
    op: shell.exec
    with: {script: "echo renewing; exit 3"}
`,
}

// TestConsoleLongNamesOnAPhone opens a failed run with long one-word
// names on a 375 px phone: the page stays as wide as the screen, the
// step's id breaks inside its card, and the inputs' values keep room to
// be read beside their long names.
func TestConsoleLongNamesOnAPhone(t *testing.T) {
	b := browser(t, 3*time.Minute)
	s := startSite(t, longNamesPlaybooks)
	id := s.start("alice", "renew-certificates", nil)
	s.wait(id)
	ctx := tab(t, b)
	s.signIn(t, ctx, "alice")
	for _, dark := range []bool{false, true} {
		look(t, ctx, viewport{"phone", 375, 740, 2, true}, dark)
		do(t, ctx, "open the run", chromedp.Navigate(s.url+"/runs/"+id))
		waitFor(t, ctx, "the failed run with its inputs", `document.querySelector('.run-status .b-failed') && document.querySelectorAll('dl.facts.io dd').length === 2`)
		audit(t, ctx, "a run with long names", phone, dark)
		// The step's card holds its heading.
		if got := eval[string](t, ctx, `(() => {
			const li = document.querySelector('li.step'), label = li.querySelector('.step-label');
			return label.getBoundingClientRect().right <= li.getBoundingClientRect().right + 0.5 ? '' : 'the step id reaches ' + Math.round(label.getBoundingClientRect().right) + ' px, its card ends at ' + Math.round(li.getBoundingClientRect().right) + ' px';
		})()`); got != "" {
			t.Error(got)
		}
		// Each input's value has at least half of the list's width.
		if got := eval[string](t, ctx, `[...document.querySelectorAll('dl.facts.io dd')]
			.filter(dd => dd.getBoundingClientRect().width < dd.parentElement.getBoundingClientRect().width / 2)
			.map(dd => dd.textContent + ' is ' + Math.round(dd.getBoundingClientRect().width) + ' px wide').join('; ')`); got != "" {
			t.Errorf("squeezed input values: %s", got)
		}
	}
}
