package redact

import "testing"

// TestMaskCommand checks that add-mask commands are read as GitHub
// Actions' runner reads them, and nothing else is.
func TestMaskCommand(t *testing.T) {
	for line, want := range map[string]string{
		"::add-mask::s3cret":             "s3cret",
		"  \t::add-mask::s3cret\r":       "s3cret",
		"::ADD-MASK::a%0Ab%250A":         "a\nb%0A",
		"::add-mask x=1::with props":     "with props",
		"log: ##[add-mask]v1 value":      "v1 value",
		"::add-mask::":                   "",
		"::add-mask::   ":                "",
		"x ::add-mask::not at the start": "",
		"::add-maskx::no":                "",
		"::warning::not a mask":          "",
		"plain":                          "",
	} {
		got, ok := MaskCommand(line)
		if got != want || ok != (want != "") {
			t.Errorf("MaskCommand(%q) = %q, %v; want %q", line, got, ok, want)
		}
	}
	if got := MaskCommands("a\n::add-mask::one\nb\n::add-mask::two"); len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("MaskCommands = %q", got)
	}
}
