package steps

import "github.com/arsenal-run/arsenal-run/internal/shellword"

// Format describes the playbook format as this package reads it: the keys
// each mapping allows, the values of enumerations, the patterns names must
// match and the bounds of numbers. Generators such as the JSON Schema in
// schema/ build on it so that they cannot drift from the loader.
type Format struct {
	Version      int
	TopKeys      []string
	InputKeys    []string
	ScheduleKeys []string
	StepKeys     []string
	RetryKeys    []string
	RepeatKeys   []string
	// ConcurrencyKeys are the keys of the top-level concurrency mapping,
	// NotifyKeys those of a notify: entry.
	ConcurrencyKeys []string
	NotifyKeys      []string

	InputTypes []string
	Overlaps   []string
	Catchups   []string
	// ConcurrencyPolicies are the values of concurrency.policy,
	// NotifyOutcomes those of a notify entry's on.
	ConcurrencyPolicies []string
	NotifyOutcomes      []string
	// NotifyFills are, by operation, the parameters a notify entry may
	// leave out because the run summary fills them.
	NotifyFills map[string][]string

	// Patterns are Go regular expressions that are also valid ECMA-262.
	NamePattern     string // the playbook's name
	IDPattern       string // step ids
	IdentPattern    string // input, var and output names
	EnvNamePattern  string // environment variable names
	TimezonePattern string // schedule.timezone, before the IANA lookup

	MaxIDLen       int
	MaxSteps       int
	MaxInputs      int
	MaxConcurrency int
	MaxAttempts    int
	MaxBackoff     float64
	MaxEnvFiles    int
	MaxNotify      int
}

// PlaybookFormat returns the format; the slices are copies.
func PlaybookFormat() Format {
	c := func(s []string) []string { return append([]string(nil), s...) }
	return Format{
		Version:             Version,
		TopKeys:             c(topKeys),
		InputKeys:           c(inputKeys),
		ScheduleKeys:        c(scheduleKeys),
		StepKeys:            c(stepKeys),
		RetryKeys:           c(retryKeys),
		RepeatKeys:          c(repeatKeys),
		ConcurrencyKeys:     c(concurrencyKeys),
		NotifyKeys:          c(notifyKeys),
		ConcurrencyPolicies: c(concurrencyPolicies),
		NotifyOutcomes:      c(notifyOutcomes),
		NotifyFills:         notifyFills(),
		InputTypes:          c(inputTypes),
		Overlaps:            c(overlaps),
		Catchups:            c(catchups),
		NamePattern:         nameRE.String(),
		IDPattern:           idRE.String(),
		IdentPattern:        identRE.String(),
		EnvNamePattern:      shellword.NamePattern,
		TimezonePattern:     tzRE.String(),
		MaxIDLen:            MaxIDLen,
		MaxSteps:            MaxSteps,
		MaxInputs:           MaxInputs,
		MaxConcurrency:      MaxConcurrency,
		MaxAttempts:         maxAttempts,
		MaxBackoff:          maxBackoff,
		MaxEnvFiles:         MaxEnvFiles,
		MaxNotify:           MaxNotify,
	}
}

// notifyFills lists the parameters notifyDefaults fills, by operation.
func notifyFills() map[string][]string {
	out := map[string][]string{}
	for op, defs := range notifyDefaults {
		out[op] = []string{}
		for _, d := range defs {
			out[op] = append(out[op], d.param)
		}
	}
	return out
}
