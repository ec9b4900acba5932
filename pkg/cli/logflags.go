package cli

import (
	"strings"

	"github.com/arsenal-run/arsenal-run/internal/suggest"
)

// logLevels are the values --log-level takes.
var logLevels = []string{"debug", "info", "warn", "error"}

// logFormats are the values --log-format takes.
var logFormats = []string{"console", "json"}

// jsonUsage makes the usage errors of fs JSON lines once its
// --log-format, held in format, was parsed as json: it may come after
// the flag found wrong.
func jsonUsage(e *env, fs *flagSet, format *string) {
	fs.onUsage = func(msg string) int {
		e.logJSON = strings.EqualFold(*format, "json")
		return usageError(e, fs.cmd, "%s", msg)
	}
}

// checkLogFlags checks --log-format and --log-level (which may be "",
// for the command's default), taking them in any case, as typed in a
// hurry: JSON, WARN, and warning for warn.
func checkLogFlags(fs *flagSet, format, level *string) (int, bool) {
	*format, *level = strings.ToLower(*format), strings.ToLower(*level)
	if *level == "warning" {
		*level = "warn"
	}
	if !contains(logFormats, *format) {
		return fs.usageError("--log-format is console or json, not %q", *format), false
	}
	if *level != "" && !contains(logLevels, *level) {
		return fs.usageError("--log-level is one of %s, not %q%s", strings.Join(logLevels, ", "), *level, suggest.DidYouMean(*level, logLevels)), false
	}
	return 0, true
}
