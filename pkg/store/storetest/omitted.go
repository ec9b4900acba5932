package storetest

// Attempts a report left out of an attempt log, as every store counts
// them.

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
	"github.com/arsenal-run/arsenal-run/pkg/report"
)

// testOmittedAttempts: a step tried 5,000 times whose report keeps 50 of
// its attempts counts 5,000 calls in Stats, with every failed one among
// its errors, those left out included; the percentiles are those of the
// 50 kept. Its rows are the 50 attempts and two rows of kind omitted.
func testOmittedAttempts(t *testing.T, open Opener) {
	s := open(t)
	rep := finished("o1", "backup", report.StatusSucceeded, t0, map[string]int64{"http.request": 1})
	st := &rep.Steps[0]
	st.Attempts, st.AttemptsOmitted, st.AttemptsOmittedFailed = 5000, 4950, 2475
	for n := 1; n <= 5000; n++ {
		if n > 10 && n <= 4960 {
			continue
		}
		a := report.Attempt{Attempt: n, StartedAt: t0.Add(time.Duration(n) * time.Second), DurationMS: int64(n)}
		if n%2 == 1 {
			a.Error = &report.Error{Class: "execution", Message: "refused"}
		}
		st.AttemptLog = append(st.AttemptLog, a)
	}
	must(t, s.RecordFinish(ctx, rep, "", ""))

	ops, _, err := s.Stats(ctx, t0, time.Time{})
	must(t, err)
	// The 50 kept, nearest-rank: durations 1..10 and 4961..5000.
	want := []history.OpStats{{Op: "http.request", Count: 5000, Errors: 2500, ErrorRate: 0.5, P50MS: 4975, P95MS: 4998, P99MS: 5000}}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("op stats (-want +got):\n%s", diff)
	}
	rows, err := s.Steps(ctx, "o1")
	must(t, err)
	var omitted []string
	for i, r := range rows {
		if r.Kind == history.KindOmitted {
			omitted = append(omitted, fmt.Sprint(r.Status, " ", r.Attempt))
			if prev := rows[i-1]; prev.Kind != history.KindOmitted && (prev.Kind != "attempt" || prev.Attempt != 10) {
				t.Errorf("an omitted row after %s %d; want after attempt 10", prev.Kind, prev.Attempt)
			}
		}
	}
	if diff := cmp.Diff([]string{"failed 2475", "succeeded 2475"}, omitted); diff != "" || len(rows) != 1+50+2 {
		t.Errorf("%d rows; the omitted ones (-want +got):\n%s", len(rows), diff)
	}
	// Counted from the start of attempt 10: not in a window after it.
	ops, _, err = s.Stats(ctx, t0.Add(11*time.Second), time.Time{})
	must(t, err)
	if len(ops) != 1 || ops[0].Count != 40 || ops[0].Errors != 20 {
		t.Errorf("op stats since attempt 11: %+v; want the 40 kept after it", ops)
	}
}
