package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/internal/fsroot"
	"github.com/arsenal-run/arsenal-run/internal/fsx"
	"github.com/arsenal-run/arsenal-run/internal/yamlx"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// decodeEnvFiles reads env_file: one path or a list of them, each
// relative to the playbook's directory and inside it. Each file is read
// and parsed now, so that a missing file or a syntax error is reported by
// validate; the run reads the files again when it starts.
func (l *loader) decodeEnvFiles(n *yaml.Node) {
	n = yamlx.Deref(n)
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		l.d.Add(yamlx.PosOf(n), "env_file must be a path or a list of paths, like [.env], not %s", yamlx.KindName(n))
		return
	}
	if len(items) > MaxEnvFiles {
		l.d.Add(yamlx.PosOf(n), "env_file names %d files, over the limit of %d; merge some of them into one file", len(items), MaxEnvFiles)
		return
	}
	for _, c := range items {
		path, ok := yamlx.Str(c, "each env_file", l.d)
		if !ok {
			continue
		}
		pos := yamlx.PosOf(yamlx.Deref(c))
		rel, err := envFileRel(path)
		if err != nil {
			l.d.Add(pos, "%v", err)
			continue
		}
		if l.sub.swaps {
			if msg := SwappableEnvFile(filepath.Join(l.pb.Dir, rel)); msg != "" {
				l.d.Add(pos, "env_file %s: %s", path, msg)
				continue
			}
		}
		f := &EnvFile{Path: path, Pos: pos}
		if _, err := readEnvFile(l.pb.Dir, f, l.sub.envRoots); err != nil {
			// Read only inside roots (WithEnvFileRoots), a file outside
			// them denies the run, which reads it again, not the load.
			if l.sub.envRoots == nil || !errors.Is(err, ops.ErrDenied) {
				// One problem a line of the file, as validate reports
				// every other problem.
				if list, ok := err.(interface{ Unwrap() []error }); ok {
					for _, e := range list.Unwrap() {
						l.d.Add(pos, "%v", e)
					}
				} else {
					l.d.Add(pos, "%v", err)
				}
				continue
			}
		}
		l.pb.EnvFiles = append(l.pb.EnvFiles, f)
	}
}

// envFileRel checks an env_file path: relative, and inside the playbook's
// directory tree.
func envFileRel(path string) (string, error) {
	switch {
	case strings.TrimSpace(path) == "":
		return "", errors.New("env_file is empty; give a path like .env")
	case strings.Contains(path, "${{"):
		return "", errors.New("env_file is a path, not interpolated; write it literally")
	case filepath.IsAbs(path):
		return "", fmt.Errorf("env_file %s is absolute; give a path relative to the playbook's directory (env files must live beside the playbook)", path)
	}
	rel := filepath.Clean(filepath.FromSlash(path))
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("env_file %s leads outside the playbook's directory; env files must live beside the playbook or below it", path)
	}
	return rel, nil
}

// WithEnvFileRoots reads the env_file files of the playbook loaded, and of
// the sub-playbooks validation reads for it, only inside roots, as
// ReadEnvFilesIn does: for a playbook its caller may have written. A file
// outside them is left for the run to deny.
func WithEnvFileRoots(roots []string) LoadOption {
	return func(s *subLoads) { s.envRoots = roots }
}

// ReadEnvFiles reads the playbook's env_file files, in order, and returns
// their variables: a later file overrides an earlier one. Files are read
// inside the playbook's directory (a symlink cannot lead out of it), each
// at most MaxFileSize bytes. An error names the file, and the line and
// column of a syntax error.
func ReadEnvFiles(pb *Playbook) (map[string]string, error) { return ReadEnvFilesIn(pb, nil) }

// ReadEnvFilesIn is ReadEnvFiles, reading the files only inside roots,
// as a file operation would (the files no file operation touches are
// refused), unless roots is nil: for a playbook its caller may have
// written. A file outside them is an error wrapping ops.ErrDenied.
func ReadEnvFilesIn(pb *Playbook, roots []string) (map[string]string, error) {
	if len(pb.EnvFiles) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, f := range pb.EnvFiles {
		vars, err := readEnvFile(pb.Dir, f, roots)
		if err != nil {
			return nil, err
		}
		for k, v := range vars {
			out[k] = v
		}
	}
	return out, nil
}

// MergeEnviron adds vars to environ (KEY=value entries) for the names it
// does not hold already: the environment a run was given wins over its
// env files, as with dotenv's Load. The result is sorted by name for the
// added part and keeps environ's order otherwise.
func MergeEnviron(environ []string, vars map[string]string) []string {
	if len(vars) == 0 {
		return environ
	}
	have := make(map[string]bool, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		have[k] = true
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		if !have[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := make([]string, 0, len(environ)+len(names))
	out = append(out, environ...)
	for _, k := range names {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// EnvFileSetting tells where pb's env files set name, as "FILE:LINE"
// (the last file that sets it wins, as in ReadEnvFiles), and to what: an
// error about a value read from the environment points there when it
// came from an env file. ok is false when no file sets it, or one no
// longer reads. The files are read as ReadEnvFilesIn reads them.
func EnvFileSetting(pb *Playbook, name string, roots []string) (where, value string, ok bool) {
	for i := len(pb.EnvFiles) - 1; i >= 0; i-- {
		f := pb.EnvFiles[i]
		vars, data, err := readEnvFileData(pb.Dir, f, roots)
		if err != nil {
			return "", "", false
		}
		if v, set := vars[name]; set {
			where = f.Path
			if line, _ := nameLine(data, name); line > 0 {
				where = fmt.Sprintf("%s:%d", f.Path, line)
			}
			return where, v, true
		}
	}
	return "", "", false
}

func readEnvFile(dir string, f *EnvFile, roots []string) (map[string]string, error) {
	vars, _, err := readEnvFileData(dir, f, roots)
	return vars, err
}

// readEnvFileData reads and parses the env file f of a playbook in dir,
// only inside roots unless they are nil, and returns its variables and
// its text.
func readEnvFileData(dir string, f *EnvFile, roots []string) (map[string]string, []byte, error) {
	rel, err := envFileRel(f.Path)
	if err != nil {
		return nil, nil, err
	}
	var data []byte
	if roots != nil {
		data, err = readEnvFileIn(dir, rel, f, roots)
	} else {
		data, err = readEnvFileBeside(dir, rel, f)
	}
	if err != nil {
		return nil, nil, err
	}
	vars, err := ParseEnvFile(data)
	if err != nil {
		return nil, nil, envFileErr(f.Path, err)
	}
	return vars, data, nil
}

// readEnvFileIn reads the env file f, at rel in dir, only inside roots,
// through os.Root as the file operations read: what a symlink leads to
// is judged where it really is, whatever the path the playbook was
// loaded by.
func readEnvFileIn(dir, rel string, f *EnvFile, roots []string) ([]byte, error) {
	abs, err := filepath.Abs(filepath.Join(dir, rel))
	if err != nil {
		return nil, fmt.Errorf("env_file %s: %v", f.Path, err)
	}
	data, err := fsroot.ReadFile(abs, roots, MaxFileSize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("env_file %s does not exist; the path is relative to the playbook's directory", f.Path)
	case errors.Is(err, ops.ErrDenied):
		return nil, fmt.Errorf("env_file %s: %w", f.Path, err)
	case err != nil:
		return nil, fmt.Errorf("env_file %s: cannot read it: %v", f.Path, err)
	}
	return data, nil
}

// readEnvFileBeside reads the env file f, at rel in dir, inside dir:
// the playbook's own directory tree.
func readEnvFileBeside(dir, rel string, f *EnvFile) ([]byte, error) {
	if abs, err := filepath.Abs(filepath.Join(dir, rel)); err == nil {
		// The playbooks dir of a daemon is no file operation's, but the
		// env files beside its playbooks are read as the playbooks are.
		if err := fsroot.GuardRead(abs); err != nil {
			return nil, fmt.Errorf("env_file %s: %w", f.Path, err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("env_file %s: %v", f.Path, err)
	}
	defer root.Close()
	h, err := fsx.OpenIn(root, rel) // a FIFO is refused, not waited on
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("env_file %s does not exist; the path is relative to the playbook's directory", f.Path)
	case errors.Is(err, fsx.ErrNotRegular):
		return nil, fmt.Errorf("env_file %s is not a regular file", f.Path)
	case fsroot.IsEscape(err):
		return nil, fmt.Errorf("env_file %s leads outside the playbook's directory through a symlink; env files must live beside the playbook or below it: copy the file there", f.Path)
	case err != nil:
		return nil, fmt.Errorf("env_file %s: cannot read it: %v", f.Path, err)
	}
	defer h.Close()
	if err := fsroot.GuardOpenedRead(h); err != nil {
		return nil, fmt.Errorf("env_file %s: %w", f.Path, err)
	}
	size := "over the limit"
	if st, err := h.Stat(); err == nil && st.Size() > MaxFileSize {
		size = fsx.Size(st.Size()) + ", over the limit"
	}
	data, err := io.ReadAll(io.LimitReader(h, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("env_file %s: cannot read it: %v", f.Path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("env_file %s is %s of %s; keep an env file to short settings, and put large values in a file the step reads", f.Path, size, fsx.Bytes(MaxFileSize))
	}
	return data, nil
}

// EnvFileError is a problem in a dotenv file, at a 1-based line and
// column (0 when it is not known).
type EnvFileError struct {
	Line, Col int
	Msg       string
}

// Error prints "line:col: message", to follow a file name and a colon.
func (e *EnvFileError) Error() string {
	if e.Line == 0 {
		return " " + e.Msg
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
}

var (
	nearRE         = regexp.MustCompile(`^unexpected character ("(?:[^"\\]|\\.)*") in variable name near ("(?:[^"\\]|\\.)*")$`)
	unterminatedRE = regexp.MustCompile(`^unterminated quoted value (.*)$`)
)

// dotenvErrPos finds where godotenv's error points. Its messages quote
// the rest of the file from the statement that failed, or the start of
// an unterminated value; either locates it. For an unexpected character,
// found is the character that is really there (a line break for the end
// of the line), "" when it is not known.
func dotenvErrPos(data []byte, err error) (line, col int, found string) {
	src := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	msg := err.Error()
	off := -1
	if m := nearRE.FindStringSubmatch(msg); m != nil {
		char, err1 := strconv.Unquote(m[1])
		rest, err2 := strconv.Unquote(m[2])
		if err1 == nil && err2 == nil && len(rest) <= len(src) {
			off = len(src) - len(rest)
			// char is one byte of the file, made a rune.
			if r, n := utf8.DecodeRuneInString(char); n == len(char) && r < utf8.RuneSelf*2 {
				if i := strings.IndexByte(rest, byte(r)); i >= 0 {
					off += i
					for off > 0 && !utf8.RuneStart(src[off]) {
						off--
					}
					r, _ := utf8.DecodeRune(src[off:])
					found = string(r)
				}
			}
		}
	} else if m := unterminatedRE.FindStringSubmatch(msg); m != nil && m[1] != "" {
		// The unterminated value runs to the end of the file, so no
		// unescaped quote of its kind follows its start.
		for i := bytes.LastIndex(src, []byte(m[1])); i >= 0; i = bytes.LastIndex(src[:i], []byte(m[1])) {
			if i == 0 || src[i-1] != '\\' {
				off = i
				break
			}
		}
	}
	if off < 0 {
		return 0, 0, ""
	}
	line, col = lineCol(src, off)
	return line, col, found
}

// afterQuote tells whether the text that ends at line:col (1-based, the
// end of the line) follows a closing quote on that line, as in
// A="x"junk, and returns the column where that text starts.
func afterQuote(data []byte, line, col int) (int, bool) {
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if line < 1 || line > len(lines) {
		return 0, false
	}
	runes := []rune(lines[line-1])
	if col-1 > len(runes) {
		return 0, false
	}
	end := col - 1
	start := end
	for start > 0 && !strings.ContainsRune(" \t\"'", runes[start-1]) {
		start--
	}
	q := start
	for q > 0 && (runes[q-1] == ' ' || runes[q-1] == '\t') {
		q--
	}
	if start == end || q == 0 || (runes[q-1] != '"' && runes[q-1] != '\'') {
		return 0, false
	}
	return start + 1, true
}

func lineCol(src []byte, off int) (int, int) {
	before := src[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// nameLine finds the line and column where name is defined: the last
// line that, past blanks and an export prefix, holds name, blanks and an
// = or a colon, as the last one sets the value godotenv gives. For "" it
// is the first line with no name before its =, or with no = or colon at
// all. It compares bytes, so a name that is not valid UTF-8 is found too.
func nameLine(data []byte, name string) (int, int) {
	off := 0
	atLine, atCol := 0, 0
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		start := off
		off += len(line)
		rest := bytes.TrimLeft(line, " \t")
		if r, ok := bytes.CutPrefix(rest, []byte("export")); ok && len(r) > 0 && (r[0] == ' ' || r[0] == '\t') {
			rest = bytes.TrimLeft(r, " \t")
		}
		at := start + len(line) - len(rest)
		if name == "" {
			body := bytes.TrimRight(rest, " \t\r\n")
			if len(body) > 0 && body[0] != '#' && (body[0] == '=' || body[0] == ':' || !bytes.ContainsAny(body, "=:")) {
				return lineCol(data, at)
			}
			continue
		}
		if after, ok := bytes.CutPrefix(rest, []byte(name)); ok {
			if after = bytes.TrimLeft(after, " \t"); len(after) > 0 && (after[0] == '=' || after[0] == ':') {
				atLine, atCol = lineCol(data, at)
			}
		}
	}
	return atLine, atCol
}
