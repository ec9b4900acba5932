package cli

import (
	"flag"
	"strings"
	"testing"
)

// TestFlagsNameTheirValue: in every command's help, a flag that takes a
// value shows a placeholder that says what the value is (FILE, DIR,
// FORMAT), in capitals, never the "value" or "string" the flag package
// falls back to.
func TestFlagsNameTheirValue(t *testing.T) {
	for _, c := range commands() {
		if c.run == nil {
			continue
		}
		subs := []string{""}
		if words, first := subcommands(c.name); first {
			for _, w := range words {
				subs = append(subs, w.word)
			}
		}
		for _, sub := range subs {
			commandFlags(c, sub).VisitAll(func(f *flag.Flag) {
				if isBoolFlag(f) {
					return
				}
				name, _ := flag.UnquoteUsage(f)
				// k=v is --input's and --param's form, as the docs write it.
				if name == "" || name != strings.ToUpper(name) && name != "k=v" {
					t.Errorf("%s %s --%s shows %q for its value; name it in capitals between backquotes in its usage", c.name, sub, f.Name, name)
				}
			})
		}
	}
}
