// Package sandbox is the sandbox of shell.exec as data: the limits a
// step asks for in its sandbox param and the limits a policy's
// require_sandbox demands. Both are written the same way and read by the
// same parser, so a size or a duration means the same in a playbook and in
// a policy.
package sandbox

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/short"
	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// Limits are the limits of one sandbox. Zero values mean "no limit". A
// sandbox always runs in a fresh temporary directory with a scrubbed
// environment; Limits say what else it may do.
type Limits struct {
	Network bool // false: a new, empty network namespace
	// NetworkSet records that network was written, so that a requirement
	// can tell a step that asks for network from one that says nothing.
	NetworkSet bool
	Memory     int64         // address space, in bytes
	CPU        time.Duration // CPU time
	Processes  int
	OpenFiles  int
	FileSize   int64 // the largest file written, in bytes
}

// Keys are the keys of a sandbox map, sorted.
var Keys = []string{"cpu", "file_size", "memory", "network", "open_files", "processes"}

// Parse checks and converts a sandbox map. With final false, values still
// holding an expression (ops.Deferred) are skipped. A sandbox that does not
// mention network has network (Network true); a requirement reads it
// otherwise (see Requirement).
func Parse(m map[string]any, final bool) (*Limits, error) {
	l := &Limits{Network: true}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		if v == ops.Deferred && !final {
			continue
		}
		if err := l.Set(k, v); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Set sets one limit from its written value; the error names the key.
func (l *Limits) Set(key string, v any) error {
	var err error
	switch key {
	case "network":
		b, ok := v.(bool)
		if !ok {
			err = fmt.Errorf("want true or false, got %s", ops.TypeName(v))
		}
		l.Network, l.NetworkSet = b, true
	case "memory":
		l.Memory, err = parseSize(v, 4<<20)
	case "file_size":
		l.FileSize, err = parseSize(v, 1)
	case "cpu":
		l.CPU, err = parseCPU(v)
	case "processes":
		l.Processes, err = parseCount(v, 1)
	case "open_files":
		l.OpenFiles, err = parseCount(v, 3)
	default:
		err = fmt.Errorf("unknown limit%s; sandbox takes %s", suggest.DidYouMean(key, Keys), strings.Join(Keys, ", "))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// CPUSeconds is the CPU limit in whole seconds, rounded up: the kernel
// counts it in seconds.
func (l *Limits) CPUSeconds() uint64 {
	return uint64((l.CPU + time.Second - 1) / time.Second)
}

// Requirement returns l read as a policy's requirement: without network
// unless it says network: true.
func (l *Limits) Requirement() *Limits {
	r := *l
	r.Network = l.NetworkSet && l.Network
	r.NetworkSet = true
	return &r
}

// Apply returns the sandbox a step runs with when req is required: the
// step's own limits, with every limit req sets and the step leaves out
// taken from req, and no network unless req allows it. A step that asks for
// more than req allows (network: true when req has none, a larger limit)
// is an error that names the limit and the most allowed.
func Apply(step, req *Limits) (*Limits, error) {
	out := *step
	if !req.Network {
		if step.NetworkSet && step.Network {
			return nil, fmt.Errorf("network: true, but the caller's role requires a sandbox without network; remove network or set it to false")
		}
		out.Network = false
	}
	for _, c := range []struct {
		name      string
		have, max int64
		set       func(int64)
		show      func(int64) string
	}{
		{"memory", step.Memory, req.Memory, func(n int64) { out.Memory = n }, FormatSize},
		{"file_size", step.FileSize, req.FileSize, func(n int64) { out.FileSize = n }, FormatSize},
		{"cpu", int64(step.CPU), int64(req.CPU), func(n int64) { out.CPU = time.Duration(n) }, func(n int64) string { return short.Duration(time.Duration(n)) }},
		{"processes", int64(step.Processes), int64(req.Processes), func(n int64) { out.Processes = int(n) }, formatCount},
		{"open_files", int64(step.OpenFiles), int64(req.OpenFiles), func(n int64) { out.OpenFiles = int(n) }, formatCount},
	} {
		switch {
		case c.max == 0:
		case c.have == 0:
			c.set(c.max)
		case c.have > c.max:
			return nil, fmt.Errorf("%s %s is more than the caller's role allows (%s); lower it, or leave it out to get %s", c.name, c.show(c.have), c.show(c.max), c.show(c.max))
		}
	}
	return &out, nil
}

// Loosest returns the requirement that is met when a or b is: network when
// either allows it, and each limit the larger of the two, or none when
// either sets none. It is how the requirements of several roles add up.
func Loosest(a, b *Limits) *Limits {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	looser := func(x, y int64) int64 {
		if x == 0 || y == 0 {
			return 0
		}
		return max(x, y)
	}
	return &Limits{
		Network:    a.Network || b.Network,
		NetworkSet: true,
		Memory:     looser(a.Memory, b.Memory),
		CPU:        time.Duration(looser(int64(a.CPU), int64(b.CPU))),
		Processes:  int(looser(int64(a.Processes), int64(b.Processes))),
		OpenFiles:  int(looser(int64(a.OpenFiles), int64(b.OpenFiles))),
		FileSize:   looser(a.FileSize, b.FileSize),
	}
}

// Tightest is the requirement that keeps to both a and b: a sandbox
// within it meets each. nil (no sandbox required) keeps to anything.
func Tightest(a, b *Limits) *Limits {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	tighter := func(x, y int64) int64 {
		switch {
		case x == 0:
			return y
		case y == 0:
			return x
		}
		return min(x, y)
	}
	return &Limits{
		Network:    a.Network && b.Network,
		NetworkSet: true,
		Memory:     tighter(a.Memory, b.Memory),
		CPU:        time.Duration(tighter(int64(a.CPU), int64(b.CPU))),
		Processes:  int(tighter(int64(a.Processes), int64(b.Processes))),
		OpenFiles:  int(tighter(int64(a.OpenFiles), int64(b.OpenFiles))),
		FileSize:   tighter(a.FileSize, b.FileSize),
	}
}

// String describes a requirement the way a policy writes it.
func (l *Limits) String() string {
	parts := []string{"network: " + strconv.FormatBool(l.Network)}
	if l.Memory > 0 {
		parts = append(parts, "memory: "+FormatSize(l.Memory))
	}
	if l.CPU > 0 {
		parts = append(parts, "cpu: "+short.Duration(l.CPU))
	}
	if l.Processes > 0 {
		parts = append(parts, "processes: "+strconv.Itoa(l.Processes))
	}
	if l.OpenFiles > 0 {
		parts = append(parts, "open_files: "+strconv.Itoa(l.OpenFiles))
	}
	if l.FileSize > 0 {
		parts = append(parts, "file_size: "+FormatSize(l.FileSize))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// FormatSize writes a byte count as a size: 512Mi, 1Gi, 1500 bytes.
func FormatSize(n int64) string {
	for _, u := range []struct {
		unit string
		size int64
	}{{"Ti", 1 << 40}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.unit
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func formatCount(n int64) string { return strconv.FormatInt(n, 10) }

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseSize reads a byte size: a whole number of bytes, or a number with a
// unit such as 512Ki, 256Mi, 1Gi (powers of 1024) or 500M, 2G (of 1000).
func parseSize(v any, min int64) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || x > math.MaxInt64/2 {
			return 0, fmt.Errorf("want a whole number of bytes or a size like 256Mi, got %v", x)
		}
		n = int64(x)
	case string:
		s := strings.TrimSpace(x)
		i := len(s)
		for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
			i--
		}
		num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
		mult, ok := sizeUnits[unit]
		f, err := strconv.ParseFloat(num, 64)
		if !ok || err != nil || f < 0 || f*float64(mult) > math.MaxInt64/2 {
			return 0, fmt.Errorf("want a size like 256Mi, 1Gi or 500M, got %q", x)
		}
		n = int64(f * float64(mult))
	default:
		return 0, fmt.Errorf("want a size like 256Mi, got %s", ops.TypeName(v))
	}
	if n < min {
		return 0, fmt.Errorf("%d bytes is below the minimum of %d", n, min)
	}
	return n, nil
}

// parseCPU reads CPU time: a duration string or a number of seconds.
func parseCPU(v any) (time.Duration, error) {
	var d time.Duration
	switch x := v.(type) {
	case string:
		var err error
		if d, err = time.ParseDuration(x); err != nil {
			return 0, fmt.Errorf("want a duration like 10s or 2m, got %q", x)
		}
	case int:
		d = time.Duration(x) * time.Second
	case float64:
		d = time.Duration(x * float64(time.Second))
	case time.Duration:
		d = x
	default:
		return 0, fmt.Errorf("want a duration like 10s, got %s", ops.TypeName(v))
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be a positive duration, got %v", v)
	}
	return d, nil
}

func parseCount(v any, min int) (int, error) {
	n, ok := ops.WholeNumber(v)
	switch t := ops.TypeName(v); {
	case ok:
	case t == "list" || t == "map": // as Go prints one, it would read as a value
		return 0, fmt.Errorf("want a whole number, got a %s", t)
	case t == "string":
		return 0, fmt.Errorf("want a whole number, got %q", v)
	default:
		return 0, fmt.Errorf("want a whole number, got %v", v)
	}
	if n < min || n > 1<<30 {
		return 0, fmt.Errorf("%d is out of range (%d..%d)", n, min, 1<<30)
	}
	return n, nil
}
