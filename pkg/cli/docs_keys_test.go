package cli

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/server"
)

// docKeyRE matches what reads as an API key in the docs: the prefix and a
// run of key characters (an elided key, `ak_…`, has none).
var docKeyRE = regexp.MustCompile(server.KeyPrefix + `[A-Za-z0-9]+`)

// TestDocKeysHaveTheShapeOfKeys: a key the docs show has the length and
// the letters of one `keys new` makes, so that a reader comparing the key
// they were given with the docs' sees the same shape, and the server's
// check of keys sent in a URL, which looks for that shape, would take it
// for one.
func TestDocKeysHaveTheShapeOfKeys(t *testing.T) {
	made, _, err := server.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^` + server.KeyPrefix + `[a-z2-7]{` + strconv.Itoa(len(made)-len(server.KeyPrefix)) + `}$`)
	if !shape.MatchString(made) {
		t.Fatalf("keys new made %q, which the shape %s does not match", made, shape)
	}
	docs, err := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs: %v", err)
	}
	names := []string{"README.md", "bench/README.md"}
	for _, d := range docs {
		names = append(names, "docs/"+filepath.Base(d))
	}
	found := 0
	for _, doc := range names {
		for i, line := range strings.Split(repoFile(t, doc), "\n") {
			for _, k := range docKeyRE.FindAllString(line, -1) {
				found++
				if !shape.MatchString(k) {
					t.Errorf("%s:%d: %s has %d characters after %s, where a key has %d (letters a-z and digits 2-7): write one as `arsenal-run keys new` prints it, like %s",
						doc, i+1, k, len(k)-len(server.KeyPrefix), server.KeyPrefix, len(made)-len(server.KeyPrefix), made)
				}
			}
		}
	}
	if found == 0 {
		t.Error("no key was found in the docs; the pattern is wrong")
	}
}
