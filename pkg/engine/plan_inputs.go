package engine

// The inputs given to a run: parsed from text, resolved against the
// playbook's declarations with their env and from_file sources, and the
// error that lists every problem with them.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// InputError lists every problem with the inputs given to a run.
type InputError struct {
	Problems []string
	// denied is set when an input's from_file lies outside the file
	// roots the run may read it from: the error is then a denial.
	denied bool
	// given names, by index in Problems, the given input a problem is
	// about: its value did not fit (see subInputsError).
	given map[int]string
}

func (e *InputError) Error() string {
	return "inputs: " + strings.Join(e.Problems, "; ")
}

// Unwrap is ops.ErrDenied for a from_file outside the roots (see
// InputError.denied), so that the step is denied rather than failed.
func (e *InputError) Unwrap() error {
	if e.denied {
		return ops.ErrDenied
	}
	return nil
}

// ParseInputs converts inputs given as text (--input k=v) to their declared
// types. Unknown names are errors.
func (p *Plan) ParseInputs(text map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(text))
	var problems []string
	for _, k := range sortedKeys(text) {
		in := p.pb.Input(k)
		if in == nil {
			problems = append(problems, p.unknownInput(k))
			continue
		}
		v, err := in.Parse(text[k])
		var nt *steps.NumberTextError
		var ud *steps.UnitlessDurationError
		switch {
		case err != nil && !in.Secret && errors.As(err, &nt):
			// Said in the form it was given in.
			problems = append(problems, fmt.Sprintf("%s: %s", k, nt.Passed("--input "+k+"=%s")))
			continue
		case err != nil && !in.Secret && errors.As(err, &ud):
			problems = append(problems, fmt.Sprintf("%s: --input %s=%s", k, k, ud.Passed("--input "+k+"=%s")))
			continue
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", k, parseProblem(in, err)))
			continue
		}
		out[k] = v
	}
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems}
	}
	return out, nil
}

func (p *Plan) unknownInput(k string) string {
	names := make([]string, len(p.pb.Inputs))
	for i, in := range p.pb.Inputs {
		names[i] = in.Name
	}
	if len(names) == 0 {
		return fmt.Sprintf("%s: the playbook declares no inputs", k)
	}
	return fmt.Sprintf("%s: unknown input%s; the playbook declares %s", k, suggest.DidYouMean(k, names), strings.Join(names, ", "))
}

// ResolveInputs checks given inputs (already typed data, from a file, the
// API or ParseInputs) and completes them from environment variables and
// defaults. It reports every problem at once.
func (p *Plan) ResolveInputs(given map[string]any, lookupEnv func(string) (string, bool)) (map[string]any, error) {
	return p.resolveInputs(given, lookupEnv, nil, nil)
}

// resolveInputs is ResolveInputs, reading an input's from_file only
// inside fileRoots unless they are nil (see runOptions.inputRoots), and
// saying what to do about a required input nobody gave with hint (nil:
// CLIInputHint).
func (p *Plan) resolveInputs(given map[string]any, lookupEnv func(string) (string, bool), fileRoots []string, hint InputHint) (map[string]any, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	out := make(map[string]any, len(p.pb.Inputs))
	var problems []string
	denied := false
	var givenAt map[int]string // made at the first problem: most runs have none
	for _, k := range sortedKeys(given) {
		in := p.pb.Input(k)
		if in == nil {
			problems = append(problems, p.unknownInput(k))
			continue
		}
		v, err := in.Coerce(given[k])
		if err != nil {
			if givenAt == nil {
				givenAt = map[int]string{}
			}
			givenAt[len(problems)] = k
			problems = append(problems, fmt.Sprintf("%s: %v", k, parseProblem(in, err)))
			continue
		}
		out[k] = v
	}
	for _, in := range p.pb.Inputs {
		if _, ok := out[in.Name]; ok {
			continue
		}
		if _, bad := given[in.Name]; bad {
			continue
		}
		if in.Env != "" {
			if s, ok := lookupEnv(in.Env); ok {
				v, err := in.Parse(s)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s (from $%s%s): %v", in.Name, in.Env, p.envOrigin(in.Env, s, fileRoots), parseProblem(in, err)))
				} else {
					out[in.Name] = v
				}
				continue
			}
		}
		if in.FromFile != "" {
			s, found, err := readInputFile(p.pb.Dir, in.FromFile, fileRoots, p.swappableInputFile)
			if err != nil {
				problem := fmt.Sprintf("%s (from_file %s): %v", in.Name, in.FromFile, err)
				if fileRoots != nil && errors.Is(err, ops.ErrDenied) {
					denied = true
					problem += outsideRootsHint("from_file")
				}
				problems = append(problems, problem)
				continue
			}
			if found {
				v, err := in.Parse(s)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s (from_file %s): %v", in.Name, in.FromFile, parseProblem(in, err)))
				} else {
					out[in.Name] = v
				}
				continue
			}
		}
		switch {
		case in.Default != nil:
			out[in.Name] = in.Default
		case in.Required:
			if hint == nil {
				hint = CLIInputHint
			}
			problems = append(problems, fmt.Sprintf("%s is required; %s", in.Name, hint(in)))
		default:
			out[in.Name] = steps.ZeroValue(in.Type)
		}
	}
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems, denied: denied, given: givenAt}
	}
	return out, nil
}

// envOrigin says, for a value of variable name that did not fit its
// input, where an env file set it (", set by env_file .env:3"), so that
// the message leads to the line to fix; "" when no env file set that
// value (it came from the environment). The files are read only inside
// roots unless they are nil, as the run read them.
func (p *Plan) envOrigin(name, value string, roots []string) string {
	if where, v, ok := steps.EnvFileSetting(p.pb, name, roots); ok && v == value {
		return ", set by env_file " + where
	}
	return ""
}

// parseProblem is what to say about a value that does not fit its input,
// however it was given: the parser's message, which quotes the value,
// unless the input is secret.
func parseProblem(in *steps.Input, err error) string {
	if in.Secret {
		return in.SecretMismatch()
	}
	return err.Error()
}

// swappableInputFile is steps.SwappableInputFile for an input's from_file
// at path, absolute, when the engine refuses such files (RefuseSwappable);
// "" otherwise. It judges the file opened as f, or, when f is nil (the
// file does not exist, or is read inside roots), the path.
func (p *Plan) swappableInputFile(f *os.File, path string) string {
	if !p.e.refuseSwaps {
		return ""
	}
	if f == nil {
		return steps.SwappableInputFile(path)
	}
	return steps.SwappableOpenInputFile(f, path)
}

// readInputFile reads the value of an input's from_file: path, relative to
// dir unless absolute, and only inside roots unless they are nil. A file
// that does not exist is not an error (found is false: the input falls
// back to its default); one that is not a regular file, or is larger than
// steps.MaxValueSize, is, and so is one outside roots (wrapping
// ops.ErrDenied). One trailing line break is dropped, as secret files
// usually end with one. judge's advice about the file, as opened or, when
// it is missing, as another user could make it, refuses it.
func readInputFile(dir, path string, roots []string, judge func(f *os.File, path string) string) (value string, found bool, err error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if roots != nil {
		if msg := judge(nil, path); msg != "" {
			return "", false, errors.New(msg)
		}
		return readInputFileIn(path, roots)
	}
	// A FIFO is refused, not waited on; the state dir's keys are no
	// input's value.
	f, err := fsroot.Open(path)
	switch {
	case errors.As(err, new(*fsroot.ProtectedError)):
		return "", false, err
	case errors.Is(err, fs.ErrNotExist):
		if msg := judge(nil, path); msg != "" {
			return "", false, errors.New(msg)
		}
		return "", false, nil
	case errors.Is(err, fsx.ErrNotRegular):
		return "", false, errors.New("not a regular file")
	case err != nil:
		return "", false, fmt.Errorf("cannot read it: %w", err)
	}
	defer f.Close()
	// Judged once open: what is read is what was judged.
	if msg := judge(f, path); msg != "" {
		return "", false, errors.New(msg)
	}
	data, err := io.ReadAll(io.LimitReader(f, steps.MaxValueSize+1))
	if err != nil {
		return "", false, fmt.Errorf("cannot read it: %w", err)
	}
	if len(data) > steps.MaxValueSize {
		return "", false, fmt.Errorf("the file is over %d bytes, the limit of an input's value; give the input a smaller file, or pass the path and let a step read the file", steps.MaxValueSize)
	}
	s := strings.TrimSuffix(string(data), "\n")
	return strings.TrimSuffix(s, "\r"), true, nil
}

// IsInputError reports whether err is about the inputs given to a run.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
