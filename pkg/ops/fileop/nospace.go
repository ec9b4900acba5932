package fileop

import (
	"context"
	"path/filepath"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
	"github.com/arsenal-run/arsenal-run/pkg/ops/internal/policy"
)

// writeFailed classifies err from writing path. A full file system or an
// exhausted quota says what became of the file (left, which the op
// knows: unchanged for an atomic write, perhaps cut short for an append)
// and what to do: free space where the file lies and run the step again.
func writeFailed(ctx context.Context, err error, path, abs, left string) error {
	why := policy.NoSpace(err)
	if why == "" {
		return policy.Classify(ctx, err, path, policy.Roots(ctx))
	}
	return ops.Errorf(ops.ClassExecution, "%s: %s; %s; %s", path, why, left, policy.FreeSpace(filepath.Dir(abs)))
}

// unchanged is what an atomic write that failed left: the file as it was
// (existed), or none; the temporary file is removed either way.
func unchanged(existed bool) string {
	if existed {
		return "the file is unchanged"
	}
	return "no file was created"
}
