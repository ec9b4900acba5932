package cli

import "testing"

// TestInputWrittenWithASpace: --input host web-1, a space where the =
// goes, made the flag take "host" and the command take web-1 for a
// second playbook (or a remote run's second argument), and the command
// said "give exactly one playbook" or "unknown or incomplete subcommand
// "run deploy web-1"", leaving the tired reader to find the missing =.
// The message now names the flag as written and as it should be.
func TestInputWrittenWithASpace(t *testing.T) {
	runMain(t, "run", "a.yaml", "--input", "host", "web-1").want(t, ExitUsage, nil,
		[]string{"--input host web-1: write --input host=web-1, name=value as one word (web-1 was taken for a playbook)"})
	runMain(t, "run", "--input", "host", "web 1", "a.yaml").want(t, ExitUsage, nil,
		[]string{"--input host 'web 1': write --input 'host=web 1', name=value as one word"})
	runMain(t, "run", "a.yaml", "--input=count", "2").want(t, ExitUsage, nil,
		[]string{"--input=count 2: write --input count=2"})
	runMain(t, "remote", "--server", "http://127.0.0.1:1", "run", "deploy", "--input", "host", "web-1").want(t, ExitUsage, nil,
		[]string{"--input host web-1: write --input host=web-1, name=value as one word"})
	runMain(t, "remote", "--server", "http://127.0.0.1:1", "exec", "control.log", "--param", "message", "hi").want(t, ExitUsage, nil,
		[]string{"--param message hi: write --param message=hi, name=value as one word"})
	// A value with its = is no such mistake: the extra word is.
	runMain(t, "run", "a.yaml", "--input", "host=web-1", "b.yaml").want(t, ExitUsage, nil,
		[]string{"run takes one playbook, and was given 2 (a.yaml, b.yaml)"})
}
