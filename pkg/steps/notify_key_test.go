package steps

import (
	"strings"
	"testing"
)

// TestNotifyEntryKeyedBySlackSaysWebhook: a notify entry written slack:
// or teams:, as other tools write them, is told to write a webhook with
// that format, at the key's line and column.
func TestNotifyEntryKeyedBySlackSaysWebhook(t *testing.T) {
	for key, want := range map[string]string{
		"slack": "n.yaml:5:5: unknown key \"slack\" in a notify entry: a slack message is sent by a webhook: write webhook: {url: ..., format: slack}",
		"teams": "n.yaml:5:5: unknown key \"teams\" in a notify entry: a teams message is sent by a webhook: write webhook: {url: ..., format: teams}",
	} {
		src := "version: 1\nname: n\nsteps: [{id: a, op: control.noop}]\nnotify:\n  - " + key + ": {url: \"https://hooks.example.com/x\"}\n"
		_, err := Parse("n.yaml", []byte(src), fixtureRegistry(t))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v\nwant %s", key, err, want)
		}
	}
}
