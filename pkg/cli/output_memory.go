package cli

import (
	"flag"
	"fmt"
	"runtime/debug"
	"strconv"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

// outputMemoryUsage is --max-output-memory's usage line.
var outputMemoryUsage = fmt.Sprintf("let operations hold at most `MIB` MiB at once, all runs together, while they build their outputs "+
	"(file.read's content, http.request's body and JSON, the stdout and stderr of shell.exec, ssh.exec, ssh.facts and plugins, a plugin's answer decoded); more wait their turn (default %d)", ops.DefaultOutputMemory>>20)

// addOutputMemoryFlag adds --max-output-memory to a command that runs
// playbooks (run, schedule, serve): the registry it builds takes it.
func (e *env) addOutputMemoryFlag(fs *flag.FlagSet) {
	fs.Func("max-output-memory", outputMemoryUsage, setOutputMemory(&e.outputMiB))
}

// outputMemory is the limit --max-output-memory gave, in bytes; 0 when
// it was not given (ops.DefaultOutputMemory).
func (e *env) outputMemory() int64 { return int64(e.outputMiB) << 20 }

// setOutputMemory returns --max-output-memory's setter: a whole number
// of MiB, at least minOutputMemory, kept in *mib.
func setOutputMemory(mib *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < minOutputMemory {
			return fmt.Errorf("give a whole number of MiB, at least %d, like %d", minOutputMemory, ops.DefaultOutputMemory>>20*2)
		}
		*mib = n
		return nil
	}
}

// minOutputMemory is the least --max-output-memory: the default
// max_bytes of 1 MiB, read and turned into text, with room to spare.
const minOutputMemory = 16

// serveGCPercent is the collector's target in serve unless $GOGC says
// otherwise: the server allocates per request, and at full load the
// default (100) spent about a quarter of its CPU collecting; 400 costs a
// few MiB of heap more (bench/README.md). The scheduler keeps the default:
// there it halved nothing but doubled the heap.
const serveGCPercent = 400

// serveHeapBase is the heap serve is given beside the operations' output
// memory in its soft memory limit: its own (about 100 MiB at full API
// load) with room to spare.
const serveHeapBase = 256 << 20

// setServeGC sets the collector's target (serveGCPercent) unless $GOGC
// is set and, unless $GOGC or $GOMEMLIMIT is, a soft memory limit of
// twice the output memory (outputMemory bytes, 0 for the default) and
// serveHeapBase: at a target of 400 the heap may grow to five times what
// is live before a collection, and the outputs steps build at once (up
// to the output memory) would take it to gigabytes. Under the API's load
// the heap stays far below the limit, so the limit costs no CPU there.
func setServeGC(getenv func(string) string, outputMemory int64) {
	if getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(serveGCPercent)
	if getenv("GOMEMLIMIT") == "" {
		if outputMemory <= 0 {
			outputMemory = ops.DefaultOutputMemory
		}
		debug.SetMemoryLimit(2*outputMemory + serveHeapBase)
	}
}
