package ops_test

import (
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/ops"
)

func TestRetryAfterForms(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{"99999999", 24 * time.Hour, true},
		{"-5", 0, false},
		{"1.5", 0, false},
		{"Sun, 06 Dec 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Sun, 06 Dec 2026 09:00:00 GMT", 0, true},
		{"tomorrow", 0, false},
	} {
		if got, ok := ops.ParseRetryAfter(tc.in, now); got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %s %v, want %s %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
