package cli

import (
	"github.com/arsenal-run/arsenal-run/internal/termtext"
)

// cleanLogEvent is the console log writer's FormatPrepare: it removes
// terminal control sequences from every string of a log line (the message
// of control.log, an error text, a line of process output), so what a step
// logs cannot retitle the terminal or rewrite lines printed before. JSON
// logs keep the data; JSON escapes it.
func cleanLogEvent(evt map[string]any) error {
	for k, v := range evt {
		evt[k] = cleanValue(v)
	}
	return nil
}

func cleanValue(v any) any {
	switch x := v.(type) {
	case string:
		return termtext.Clean(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[termtext.Clean(k)] = cleanValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cleanValue(e)
		}
		return out
	}
	return v
}
