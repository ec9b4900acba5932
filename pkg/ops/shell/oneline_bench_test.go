package shell

import (
	"context"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/internal/chaintoken"
)

// BenchmarkShellOneLine is a step that prints one line: what the output
// memory costs a step whose output is small (bench/README.md).
func BenchmarkShellOneLine(b *testing.B) {
	r := newRegistry(b, nil)
	e, err := r.Get("shell.exec")
	if err != nil {
		b.Fatal(err)
	}
	p, err := e.Validate(map[string]any{"command": []any{"/bin/echo", "hello"}}, true)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Invoke(ctx, p, chaintoken.New()); err != nil {
			b.Fatal(err)
		}
	}
}
