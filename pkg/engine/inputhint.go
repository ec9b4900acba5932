package engine

import "github.com/arsenal-run/arsenal-run/pkg/steps"

// InputHint says, for a required input that nobody gave and that has no
// default, what its reader does to give it, in the words of the front end
// that started the run: the command line's --input, a field of the
// console, a request's "inputs", a default for a scheduled run. It gets
// the input, whose env: and from_file it may name too (InputSources).
type InputHint func(in *steps.Input) string

// CLIInputHint is the hint of run: --input, else the input's own sources.
func CLIInputHint(in *steps.Input) string {
	return "give it with --input " + in.Name + "=VALUE" + InputSources(in)
}

// InputSources is what else gives in a value, to follow a hint: " or set
// $VAR" for its env:, " or create FILE" for its from_file; "" when it has
// neither.
func InputSources(in *steps.Input) string {
	s := ""
	if in.Env != "" {
		s += " or set $" + in.Env
	}
	if in.FromFile != "" {
		s += " or create " + in.FromFile
	}
	return s
}

// ResolveInputsFor is ResolveInputs with the hint of a required input
// nobody gave in the words of the caller; nil is CLIInputHint.
func (p *Plan) ResolveInputsFor(given map[string]any, lookupEnv func(string) (string, bool), hint InputHint) (map[string]any, error) {
	return p.resolveInputs(given, lookupEnv, nil, hint)
}

// subInputHint is the hint of a sub-playbook's input: the playbook.run
// step gives it, whoever started the run.
func subInputHint(in *steps.Input) string {
	return "give it under the inputs: of the playbook.run step, as " + in.Name + ": VALUE" + InputSources(in)
}

// confinedSubInputHint is subInputHint in a sub-run that reads no host
// variable (see readEnv): setting the input's env: variable in
// arsenal-run's environment would not give it, so that is not offered.
func confinedSubInputHint(in *steps.Input) string {
	s := "give it under the inputs: of the playbook.run step, as " + in.Name + ": VALUE"
	if in.Env != "" {
		s += " ($" + in.Env + " is read from the sub-playbook's own env files only: it lies outside the directory tree " +
			"of the playbook that runs it, so arsenal-run's environment is not read for it)"
	}
	if in.FromFile != "" {
		s += " or create " + in.FromFile
	}
	return s
}
