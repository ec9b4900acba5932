package shell

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// limits is a parsed sandbox param. Zero values mean "no limit".
type limits struct {
	network   bool // false = a new, empty network namespace
	memory    int64
	cpu       time.Duration
	processes int
	openFiles int
	fileSize  int64
}

var sandboxKeys = []string{"cpu", "file_size", "memory", "network", "open_files", "processes"}

// parseSandbox checks and converts the sandbox map. With final false,
// Deferred values are skipped.
func parseSandbox(m map[string]any, final bool) (*limits, error) {
	l := &limits{network: true}
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
		var err error
		switch k {
		case "network":
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("want true or false, got %s", ops.TypeName(v))
			}
			l.network = b
		case "memory":
			l.memory, err = parseSize(v, 4<<20)
		case "file_size":
			l.fileSize, err = parseSize(v, 1)
		case "cpu":
			l.cpu, err = parseCPU(v)
		case "processes":
			l.processes, err = parseCount(v, 1)
		case "open_files":
			l.openFiles, err = parseCount(v, 3)
		default:
			err = fmt.Errorf("unknown limit%s; sandbox takes %s", suggest.DidYouMean(k, sandboxKeys), strings.Join(sandboxKeys, ", "))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return l, nil
}

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

// parseCPU reads CPU time: a duration string or a number of seconds. The
// kernel counts it in whole seconds, so it is rounded up.
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
	n, ok := toInt(v)
	if !ok {
		return 0, fmt.Errorf("want a whole number, got %v", v)
	}
	if n < min || n > 1<<30 {
		return 0, fmt.Errorf("%d is out of range (%d..%d)", n, min, 1<<30)
	}
	return n, nil
}

// cpuSeconds is the CPU limit in whole seconds, rounded up.
func (l *limits) cpuSeconds() uint64 {
	return uint64((l.cpu + time.Second - 1) / time.Second)
}

// hint explains a signal that a sandbox limit causes.
func (l *limits) hint(sig syscall.Signal) string {
	if l == nil {
		return ""
	}
	switch {
	case sig == syscall.SIGXCPU && l.cpu > 0:
		return fmt.Sprintf("; the sandbox cpu limit of %ds was reached", l.cpuSeconds())
	case sig == syscall.SIGKILL && l.cpu > 0:
		return fmt.Sprintf("; the sandbox cpu limit of %ds may have been reached", l.cpuSeconds())
	case sig == syscall.SIGXFSZ && l.fileSize > 0:
		return fmt.Sprintf("; the sandbox file_size limit of %d bytes was reached", l.fileSize)
	case (sig == syscall.SIGSEGV || sig == syscall.SIGABRT || sig == syscall.SIGBUS) && l.memory > 0:
		return fmt.Sprintf("; the sandbox memory limit of %d bytes may have been reached", l.memory)
	}
	return ""
}
