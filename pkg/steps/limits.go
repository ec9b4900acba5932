package steps

// Limits on what a playbook may hold. Going over one is a validation error
// that names the limit; none of them can make loading hang or exhaust memory.
// docs/playbooks.md lists them; a test keeps the two in sync.
const (
	// MaxFileSize is the largest playbook file, in bytes.
	MaxFileSize = 1 << 20
	// MaxDepth is the deepest nesting of YAML mappings and sequences.
	MaxDepth = 64
	// MaxAliasNodes is how many nodes YAML aliases may expand to in total.
	MaxAliasNodes = 10_000
	// MaxNodes is how many YAML nodes a playbook may have after aliases are
	// expanded.
	MaxNodes = 200_000
	// MaxSteps is the most steps a playbook may have, counting on_failure and
	// finally.
	MaxSteps = 5_000
	// MaxExprLen is the longest expression, in bytes.
	MaxExprLen = 4_096
	// MaxExprNodes is the most syntax-tree nodes an expression may have.
	MaxExprNodes = 1_000
	// MaxExprMemory is the memory budget of one evaluation, in expr's units
	// (roughly, elements allocated).
	MaxExprMemory = 1_000_000
	// MaxExprWork bounds the work of one evaluation: each turn of a
	// built-in's predicate (all, map, count ...) and each item a built-in
	// walks (sum, max, sort, in ...) is a unit. Past it the evaluation
	// fails, and a cancelled run stops its evaluations as they work.
	MaxExprWork = 20_000_000
	// MaxStringResult bounds each string an expression builds (+, join,
	// toJSON, replace, ...), in bytes; one evaluation may build 16 times
	// as much in all.
	MaxStringResult = 1 << 20
	// MaxForeachItems is the most items one fan-out may have.
	MaxForeachItems = 1_000_000
	// MaxMatrixWork bounds the work of expanding one matrix: its
	// combinations times one lookup per distinct set of axes its include
	// and exclude entries name, plus the keys the includes merge into
	// each. Entries that name the same axes cost one lookup together.
	MaxMatrixWork = 20_000_000
	// MaxValueSize is the largest single value (an interpolated parameter,
	// an input), in bytes.
	MaxValueSize = 1 << 20
	// MaxInputs is the most inputs a playbook may declare.
	MaxInputs = 256
	// MaxIDLen is the longest step id, input, var or output name.
	MaxIDLen = 64
	// MaxEnvFiles is the most files env_file may name.
	MaxEnvFiles = 16
	// MaxNotify is the most entries notify may have.
	MaxNotify = 32
)
