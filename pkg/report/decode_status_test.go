package report

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestDecodeUnknownStatus: a report holding a status this version does
// not know is refused at the place of that status, naming the field and
// the statuses it knows, rather than shown as "?" or resumed from.
func TestDecodeUnknownStatus(t *testing.T) {
	r := Report{ReportVersion: FormatVersion, RunID: "r1", Status: StatusSucceeded, StartedAt: time.Unix(0, 0).UTC(),
		Steps: []Step{{ID: "a", Op: "control.noop", Status: StatusSucceeded},
			{ID: "b", Op: "control.noop", Status: StatusFailed, ItemCounts: map[Status]int{StatusFailed: 1},
				Items: []Item{{Index: 0, Status: StatusFailed}}}}}
	for _, tc := range []struct {
		name   string
		edit   func(*Report)
		saying string
	}{
		{"run", func(r *Report) { r.Status = "weird" }, `status is "weird"`},
		{"step", func(r *Report) { r.Steps[1].Status = "weird" }, `steps[1].status is "weird"`},
		{"item", func(r *Report) { r.Steps[1].Items[0].Status = "weird" }, `steps[1].items[0].status is "weird"`},
		{"count", func(r *Report) { r.Steps[1].ItemCounts = map[Status]int{"weird": 1} }, `steps[1].item_counts has the key "weird"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := r
			c.Steps = []Step{r.Steps[0], r.Steps[1]}
			c.Steps[1].Items = []Item{r.Steps[1].Items[0]}
			tc.edit(&c)
			data, err := json.MarshalIndent(c, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			_, err = Decode(data)
			de, ok := err.(*DecodeError)
			if !ok {
				t.Fatalf("Decode = %v; want a DecodeError", err)
			}
			if !strings.Contains(de.Msg, tc.saying) ||
				!strings.Contains(de.Msg, "it knows succeeded, failed, skipped, denied, cancelled") {
				t.Errorf("Decode: %q; want it to say %q and the statuses known", de.Msg, tc.saying)
			}
			// The place points at the value (or the key) itself.
			lines := strings.Split(string(data), "\n")
			if de.Line < 1 || de.Line > len(lines) || !strings.HasPrefix(lines[de.Line-1][de.Col-1:], `"weird"`) {
				t.Errorf("Decode: at %d:%d; want the place of \"weird\" in:\n%s", de.Line, de.Col, data)
			}
		})
	}
	data, _ := json.Marshal(r)
	if _, err := Decode(data); err != nil {
		t.Errorf("Decode of a report with known statuses: %v", err)
	}
}
