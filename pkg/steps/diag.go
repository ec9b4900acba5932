// Package steps holds the playbook format: its types, the strict YAML loader
// and the static validation that runs before anything executes. It imports
// nothing from the engine; the engine turns a loaded Playbook into a plan.
package steps

import "github.com/arsenal-run/arsenal-run/internal/yamlx"

// Pos is a 1-based line and column in a playbook file.
type Pos = yamlx.Pos

// Diagnostic is one problem found in a playbook.
type Diagnostic = yamlx.Diagnostic

// Severity tells an error, which stops a playbook from loading, from a
// warning, which does not.
type Severity = yamlx.Severity

// The severities of a Diagnostic.
const (
	SeverityError   = yamlx.Error
	SeverityWarning = yamlx.Warning
)

// Diagnostics are every problem found in one load, sorted by position. As an
// error it prints one problem a line.
type Diagnostics = yamlx.Diagnostics

// limits are the bounds the YAML reader applies to playbooks.
var limits = yamlx.Limits{
	MaxFileSize:   MaxFileSize,
	MaxDepth:      MaxDepth,
	MaxAliasNodes: MaxAliasNodes,
	MaxNodes:      MaxNodes,
	SplitHint:     "split the playbook and call the parts with playbook.run",
	EmptyHint:     "a playbook needs at least version, name and steps",
}
