package shell

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Bounds of the ARSENAL_OUTPUT file.
const (
	MaxOutputFile   = 1 << 20 // bytes the file may hold
	MaxOutputValues = 1000    // keys it may set
)

// outputFile is the file named by ARSENAL_OUTPUT, where the process writes
// values in GitHub Actions' $GITHUB_OUTPUT format.
type outputFile struct {
	dir  string
	path string
}

// newOutputFile makes an empty file, readable and writable by this user
// only, in a fresh directory of arsenal-run's private runtime directory:
// the run trusts what the file holds, and no file operation, of this run
// or another caller's, reaches it there (a temporary directory of its own
// would lie in the file roots of every role that sets none).
func newOutputFile() (*outputFile, error) {
	dir, err := fsroot.MkdirPrivate("output-")
	if err != nil {
		return nil, fmt.Errorf("creating the ARSENAL_OUTPUT file: %w", err)
	}
	o := &outputFile{dir: dir, path: filepath.Join(dir, "output")}
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		o.remove()
		return nil, fmt.Errorf("creating the ARSENAL_OUTPUT file: %w", err)
	}
	f.Close()
	return o, nil
}

func (o *outputFile) remove() { os.RemoveAll(o.dir) }

// runEnv is the process environment that tells it about the run and the file.
func runEnv(ctx context.Context, o *outputFile) []string {
	c := ops.CallFrom(ctx)
	env := []string{
		"ARSENAL_RUN_ID=" + c.RunID,
		"ARSENAL_PLAYBOOK=" + c.Playbook,
		"ARSENAL_STEP_ID=" + c.Step,
	}
	if o != nil {
		env = append(env, "ARSENAL_OUTPUT="+o.path)
	}
	return env
}

// read parses what the process wrote.
func (o *outputFile) read() (map[string]any, error) {
	f, err := os.Open(o.path)
	if err != nil {
		return nil, fmt.Errorf("reading ARSENAL_OUTPUT: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxOutputFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading ARSENAL_OUTPUT: %w", err)
	}
	if len(b) > MaxOutputFile {
		return nil, fmt.Errorf("ARSENAL_OUTPUT holds more than %d bytes; write large data to a file and put its path in the output", MaxOutputFile)
	}
	return parseOutputs(string(b))
}

var outputNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// parseOutputs reads name=value lines and name<<DELIMITER blocks ending
// with a line that is exactly DELIMITER, as GitHub Actions does. Empty lines
// are skipped, a later value replaces an earlier one, and line ends may be
// \r\n. Errors name the line.
func parseOutputs(s string) (map[string]any, error) {
	out := map[string]any{}
	lines := strings.Split(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\r")
		if line == "" {
			continue
		}
		eq := strings.IndexByte(line, '=')
		hd := strings.Index(line, "<<")
		var name, value string
		switch {
		case hd > 0 && (eq < 0 || hd < eq):
			name = line[:hd]
			delim := line[hd+2:]
			if delim == "" {
				return nil, fmt.Errorf("ARSENAL_OUTPUT line %d: %q has no delimiter after <<", i+1, line)
			}
			var body []string
			end := -1
			for j := i + 1; j < len(lines); j++ {
				if strings.TrimSuffix(lines[j], "\r") == delim {
					end = j
					break
				}
				body = append(body, strings.TrimSuffix(lines[j], "\r"))
			}
			if end < 0 {
				return nil, fmt.Errorf("ARSENAL_OUTPUT line %d: %s<<%s is not closed by a line %s", i+1, name, delim, delim)
			}
			value = strings.Join(body, "\n")
			i = end
		case eq > 0:
			name, value = line[:eq], line[eq+1:]
		default:
			return nil, fmt.Errorf("ARSENAL_OUTPUT line %d: %q is neither name=value nor name<<DELIMITER", i+1, cut(line, 60))
		}
		if !outputNameRE.MatchString(name) {
			return nil, fmt.Errorf("ARSENAL_OUTPUT line %d: %q is not a valid name (letters, digits, _ and -, not starting with a digit)", i+1, cut(name, 60))
		}
		if _, seen := out[name]; !seen && len(out) >= MaxOutputValues {
			return nil, fmt.Errorf("ARSENAL_OUTPUT sets more than %d values", MaxOutputValues)
		}
		out[name] = value
	}
	return out, nil
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
