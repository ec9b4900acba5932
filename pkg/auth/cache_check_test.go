package auth

import (
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/steps"
)

// TestCacheCheckWithOtherProblems checks that a cache: the policy refuses
// is reported in the same load as the playbook's other problems, and that
// a step whose op is unknown is not refused as well.
func TestCacheCheckWithOtherProblems(t *testing.T) {
	src := `version: 1
name: c
steps:
  - id: w
    op: file.write
    with: {path: /tmp/x}
    cache: {ttl: 5m}
  - id: r
    op: process.list
    cache: {ttl: 0s}
  - id: u
    op: nosuch.op
    cache: {ttl: 5m}
`
	_, err := steps.Parse("c.yaml", []byte(src), testRegistry(t), Builtin().CacheCheck())
	if err == nil {
		t.Fatal("the playbook loaded")
	}
	got := err.Error()
	for _, want := range []string{
		"c.yaml:7:12: cache: file.write is a write operation, and only read operations are cached",
		"c.yaml:10:18: cache.ttl must be positive",
		`c.yaml:12:9: unknown operation "nosuch.op"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("error lacks %q:\n%s", want, got)
		}
	}
	if n := strings.Count(got, "only read operations are cached"); n != 1 {
		t.Errorf("%d cache refusals; want 1 (file.write's):\n%s", n, got)
	}
}
