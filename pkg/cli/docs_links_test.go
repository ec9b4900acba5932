package cli

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestDocLinksResolve follows every relative link of README.md and docs/*.md:
// the file must exist and, for a Markdown file, the #anchor must be one of
// its headings as GitHub names them.
func TestDocLinksResolve(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	files := []string{"README.md"}
	for _, d := range docs {
		files = append(files, "docs/"+filepath.Base(d))
	}
	linkRE := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	anchors := map[string]map[string]bool{}
	for _, f := range files {
		for _, l := range linkRE.FindAllStringSubmatch(outsideCode(repoFile(t, f)), -1) {
			target := l[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			if file == "" {
				file = f
			} else {
				file = path.Clean(path.Join(path.Dir(f), file))
			}
			if _, err := os.Stat(filepath.Join("..", "..", filepath.FromSlash(file))); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
				continue
			}
			if anchor == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			if anchors[file] == nil {
				anchors[file] = headingAnchors(repoFile(t, file))
			}
			if !anchors[file][anchor] {
				t.Errorf("%s links to %s, but %s has no heading #%s", f, target, file, anchor)
			}
		}
	}
}

// outsideCode is md without its fenced code blocks.
func outsideCode(md string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "```") {
			in = !in
			continue
		}
		if !in {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// headingAnchors names the headings of md as GitHub does: lower case,
// punctuation dropped, spaces made hyphens, a repeated name numbered.
func headingAnchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range strings.Split(outsideCode(md), "\n") {
		text, ok := strings.CutPrefix(strings.TrimLeft(l, "#"), " ")
		if !ok || !strings.HasPrefix(l, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(text)) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out[a+"-"+strconv.Itoa(n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// TestDocCommandsNameRepoFiles keeps the commands of README.md and
// docs/*.md runnable from a clone as written: a file under playbooks/ or
// docs/examples/ that a command line names must be in the repository.
func TestDocCommandsNameRepoFiles(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	files := []string{"README.md"}
	for _, d := range docs {
		files = append(files, "docs/"+filepath.Base(d))
	}
	pathRE := regexp.MustCompile(`(?:^|\s)((?:playbooks|docs/examples)/[\w.-]+\.ya?ml)\b`)
	for _, f := range files {
		for i, l := range strings.Split(repoFile(t, f), "\n") {
			cmd, ok := strings.CutPrefix(strings.TrimSpace(l), "$ ")
			if !ok {
				cmd = strings.TrimSpace(l)
			}
			if !strings.HasPrefix(cmd, "arsenal-run ") {
				continue
			}
			for _, m := range pathRE.FindAllStringSubmatch(cmd, -1) {
				if _, err := os.Stat(filepath.Join("..", "..", filepath.FromSlash(m[1]))); err != nil {
					t.Errorf("%s:%d: the command names %s, which is not in the repository; name one that is, so the command runs as written", f, i+1, m[1])
				}
			}
		}
	}
}
