package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// TestJSONLogEscapesControlsOfALongLineInParts: a run's JSON line past
// 4 KiB that the run's masking writer passes on in parts keeps its C1
// controls and bidirectional overrides escaped in serve's log, wherever
// the parts are cut: the line is given to the run's writer in two writes
// split at every byte, which moves the cut across every byte of each
// control.
func TestJSONLogEscapesControlsOfALongLineInParts(t *testing.T) {
	msg := strings.Repeat("x", 5000) + c1Bidi + strings.Repeat("y", 40)
	line, err := json.Marshal(map[string]string{"message": msg})
	if err != nil {
		t.Fatal(err)
	}
	line = append(line, '\n')
	for k := 1; k < len(line); k++ {
		var out bytes.Buffer
		w := redact.New("s3cret-token").JSONWriter(jsonControlWriter{&out})
		w.Write(line[:k])
		w.Write(line[k:])
		w.Close()
		got := out.String()
		for _, r := range "\u009b\u009d\u202e\u2066" {
			if strings.ContainsRune(got, r) {
				t.Fatalf("split at byte %d: %U is written as it is", k, r)
			}
		}
		var m struct{ Message string }
		if err := json.Unmarshal([]byte(got), &m); err != nil || m.Message != msg {
			t.Fatalf("split at byte %d: the line does not decode to the message: %v", k, err)
		}
	}
}
