package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/arsenal-run/arsenal-run/pkg/auth"
	"github.com/arsenal-run/arsenal-run/pkg/inventory"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/plugin"
	"github.com/arsenal-run/arsenal-run/pkg/server"
	"github.com/arsenal-run/arsenal-run/pkg/steps"
	"github.com/arsenal-run/arsenal-run/schema/schematest"
)

// fragmentMark, on the line before a ```yaml fence (blank lines between
// allowed), says the block is deliberately partial or wrong: a piece of a
// step, or a playbook shown for the errors it gives.
const fragmentMark = "<!-- fragment -->"

// docBlock is a ```yaml block of a doc.
type docBlock struct {
	doc      string
	line     int // of the block's first line in the doc
	src      string
	fragment bool
}

// docYAMLBlocks returns the ```yaml blocks of a Markdown text.
func docYAMLBlocks(doc, md string) []docBlock {
	var out []docBlock
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```yaml") {
			continue
		}
		b := docBlock{doc: doc, line: i + 2}
		for j := i - 1; j >= 0; j-- {
			if l := strings.TrimSpace(lines[j]); l != "" {
				b.fragment = l == fragmentMark
				break
			}
		}
		var src strings.Builder
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			src.WriteString(lines[i] + "\n")
		}
		b.src = src.String()
		out = append(out, b)
	}
	return out
}

// placeholderDigest is a sha256 the docs leave for the reader to fill.
var placeholderDigest = regexp.MustCompile(`sha256: "([^"]*)"`)

// pieceRefRE matches what a piece of a playbook may leave to the rest of
// it: the inputs, vars and steps it reads, the files beside it.
var pieceRefRE = regexp.MustCompile(`^unknown (input|var|step) "|, which is not a step;|(^env_file|^playbook\.run: ).* does not exist; the path is relative`)

// docKind tells which file a block shows, by its top-level keys, and
// completes a piece of a playbook (its inputs or steps) into a whole
// file: the lines it added before the block's, and the file.
func docKind(src string) (kind string, added int, whole string, err error) {
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		return "", 0, "", err
	}
	if len(root.Content) == 0 {
		return "", 0, "", fmt.Errorf("an empty block")
	}
	top := root.Content[0]
	keys := map[string]bool{}
	switch top.Kind {
	case yaml.SequenceNode:
		// A list of steps.
		head := "version: 1\nname: doc-example\nsteps:\n"
		return "playbook", 3, head + src, nil
	case yaml.MappingNode:
		for i := 0; i < len(top.Content); i += 2 {
			keys[top.Content[i].Value] = true
		}
	default:
		return "", 0, "", fmt.Errorf("neither a mapping nor a list")
	}
	var head string
	switch {
	case keys["keys"] || keys["certs"]:
		kind = "keys"
	case keys["roles"] || keys["rate"] || keys["cache"]:
		kind = "policy"
	case keys["hosts"] || keys["groups"]:
		kind = "inventory"
	case keys["command"] && keys["risk"]:
		kind = "manifest"
	default:
		kind = "playbook"
		if !keys["name"] {
			head = "name: doc-example\n" + head
		}
	}
	// A policy is shown whole: copied as it is, it must load (a piece
	// of one is marked fragment).
	if !keys["version"] && kind != "policy" {
		head = "version: 1\n" + head
	}
	whole = head + src
	if kind == "playbook" && !keys["steps"] {
		whole += "steps:\n  - {id: doc_example, op: control.noop}\n"
	}
	return kind, strings.Count(head, "\n"), whole, nil
}

// TestDocYAMLExamples validates every ```yaml block of the README and the
// docs, as a user copies it, with the loader and the JSON Schema of the
// file it shows: playbook, policy, inventory, keys file or plugin
// manifest. A piece of a file is completed into one (a version, a name, a
// step list under steps:); a block marked fragment is skipped.
func TestDocYAMLExamples(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	names := []string{"README.md"}
	for _, d := range docs {
		names = append(names, "docs/"+filepath.Base(d))
	}
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	checked := map[string]int{}
	fragments := 0
	for _, doc := range names {
		for _, b := range docYAMLBlocks(doc, repoFile(t, doc)) {
			if b.fragment {
				fragments++
				continue
			}
			kind, added, whole, err := docKind(b.src)
			if err != nil {
				t.Errorf("%s:%d: %v; mark the block %s if it is not a whole file", b.doc, b.line, err, fragmentMark)
				continue
			}
			checked[kind]++
			piece := added > 0 && kind == "playbook"
			for _, p := range checkDocBlock(t, reg, kind, whole, piece) {
				line := b.line
				if p.line > added {
					line += p.line - added - 1
				}
				t.Errorf("%s:%d: this %s example: %s\n(mark the block %s if it is deliberately partial or wrong)", b.doc, line, kind, p.msg, fragmentMark)
			}
		}
	}
	t.Logf("checked %v; %d fragments", checked, fragments)
	for _, kind := range []string{"playbook", "policy", "inventory", "keys", "manifest"} {
		if checked[kind] == 0 {
			t.Errorf("no %s example was found in the docs; the kinds are told apart wrongly", kind)
		}
	}
	if fragments > 10 {
		t.Errorf("%d blocks are marked %s; show whole files, or pieces the test completes", fragments, fragmentMark)
	}
}

// docProblem is a problem of a doc's example, at a line of the whole
// file (0 when it has none).
type docProblem struct {
	line int
	msg  string
}

// checkDocBlock returns the problems of a file of the given kind: the
// loader's, then the schema's.
func checkDocBlock(t *testing.T, reg *ops.Registry, kind, src string, piece bool) []docProblem {
	t.Helper()
	// Digests are for the reader to fill in.
	src = placeholderDigest.ReplaceAllStringFunc(src, func(m string) string {
		if regexp.MustCompile(`^sha256: "[0-9a-f]{64}"$`).MatchString(m) {
			return m
		}
		return `sha256: "` + strings.Repeat("0", 64) + `"`
	})
	data := []byte(src)
	var problems []docProblem
	add := func(err error) {
		if err == nil {
			return
		}
		if ds, ok := err.(steps.Diagnostics); ok {
			for _, d := range ds {
				// An operation of a plugin the docs show.
				if kind == "playbook" && strings.HasPrefix(d.Msg, "unknown operation \"acme.") {
					continue
				}
				// A piece of a playbook reads the inputs, vars, steps and
				// files of the playbook it comes from.
				if piece && pieceRefRE.MatchString(d.Msg) {
					continue
				}
				problems = append(problems, docProblem{d.Pos.Line, fmt.Sprintf("column %d: %s", d.Pos.Col, d.Msg)})
			}
			return
		}
		problems = append(problems, docProblem{0, err.Error()})
	}
	file := filepath.Join(t.TempDir(), "example.yaml")
	if kind == "manifest" {
		// Its command is the example plugin's.
		file = filepath.Join("..", "..", "examples", "plugins", "example.yaml")
	}
	switch kind {
	case "playbook":
		_, err := steps.Parse(file, data, reg)
		add(err)
	case "policy":
		_, err := auth.ParsePolicy(file, data, reg)
		add(err)
	case "inventory":
		_, err := inventory.Parse(file, data)
		add(err)
	case "keys":
		_, err := server.ParseKeys(file, data)
		add(err)
	case "manifest":
		_, err := plugin.ParseManifest(file, data)
		add(err)
		return problems // no schema
	}
	v, err := schematest.FromYAML(data)
	if err != nil {
		return append(problems, docProblem{0, err.Error()})
	}
	if err := schematest.Compile(t, kind).Validate(v); err != nil {
		problems = append(problems, docProblem{0, "the schema: " + err.Error()})
	}
	return problems
}
