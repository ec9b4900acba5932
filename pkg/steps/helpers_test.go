package steps

import (
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/control"
)

func testRegistry(t testing.TB) *ops.Registry {
	t.Helper()
	r := ops.NewRegistry()
	if err := control.Register(r); err != nil {
		t.Fatal(err)
	}
	return r
}
