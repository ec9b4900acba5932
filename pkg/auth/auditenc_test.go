package auth

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/arsenal-run/arsenal-run/pkg/report"
	"github.com/google/go-cmp/cmp"
)

// trickyStrings are strings encoding/json writes otherwise than as they
// are: quotes, escapes, HTML characters, control characters, invalid
// UTF-8, the line separators JavaScript breaks on, and plain ones.
var trickyStrings = []string{
	"", "a", "control.noop", "0193a5b2c4d5e6f7", `say "hi"`, `C:\path`, "<b>&amp;</b>", "a\nb\tc\rd",
	"\x00\x01\x1f\x7f", "\b\f", "caf\u00e9", "\u2028\u2029", "\xff\xfe", "ok\xc3", "日本語", "emoji \U0001F600",
	"127.0.0.1", "CN=ci,O=example", "https://example.com/?a=1&b=2", "a<b", "a>b", "\"", `\`, "\x1f",
}

// randomValue fills v, by reflection, with random values: every exported
// field of a struct, so that a field added to AuditLine (or to what it
// holds) and not written by appendLine makes the comparison below fail.
func randomValue(t *testing.T, r *rand.Rand, v reflect.Value) {
	t.Helper()
	switch v.Type() {
	case reflect.TypeFor[time.Time]():
		zones := []*time.Location{time.UTC, time.FixedZone("", 2*3600+30*60), time.FixedZone("", -7*3600), time.FixedZone("X", 45)}
		tm := time.Unix(r.Int64N(1<<35)-1<<33, r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
		if r.IntN(4) == 0 {
			tm = tm.Truncate(time.Second)
		}
		v.Set(reflect.ValueOf(tm))
		return
	case reflect.TypeFor[any]():
		switch r.IntN(5) {
		case 0: // nil: left out
		case 1:
			v.Set(reflect.ValueOf(map[string]any{}))
		case 2:
			v.Set(reflect.ValueOf(map[string]any(nil)))
		case 3:
			v.Set(reflect.ValueOf(map[string]any{"cmd": trickyStrings[r.IntN(len(trickyStrings))], "n": r.IntN(100), "list": []any{"a", true, nil}}))
		default:
			v.Set(reflect.ValueOf([]string{"x", "<y>"}))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		s := trickyStrings[r.IntN(len(trickyStrings))]
		if r.IntN(3) == 0 {
			s += trickyStrings[r.IntN(len(trickyStrings))]
		}
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(r.Int64() - 1<<62)
		if r.IntN(2) == 0 {
			v.SetInt(int64(r.IntN(2000)) - 10)
		}
	case reflect.Pointer:
		if r.IntN(3) == 0 {
			return // nil
		}
		p := reflect.New(v.Type().Elem())
		randomValue(t, r, p.Elem())
		v.Set(p)
	case reflect.Slice:
		switch n := r.IntN(4); n {
		case 0: // nil
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range n - 1 {
				randomValue(t, r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				randomValue(t, r, v.Field(i))
			}
		}
	default:
		t.Fatalf("randomValue: no values for %s; teach it, and appendLine, this field's type", v.Type())
	}
}

// TestAppendLineEncodesAsEncodingJSON: the hand-written encoding of an
// audit line is byte for byte what json.Marshal writes, for lines with
// every field set or left out, strings that need escaping, times in
// other zones and params of every shape.
func TestAppendLineEncodesAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		var l AuditLine
		randomValue(t, r, reflect.ValueOf(&l).Elem())
		want, err := json.Marshal(&l)
		if err != nil {
			t.Fatalf("line %d: json.Marshal: %v", i, err)
		}
		got, ok := appendLine([]byte("prefix"), &l)
		if !ok {
			t.Fatalf("line %d: appendLine refused a line json.Marshal encodes: %s", i, want)
		}
		if diff := cmp.Diff(string(want), strings.TrimPrefix(string(got), "prefix")); diff != "" || !strings.HasPrefix(string(got), "prefix") {
			t.Fatalf("line %d: appendLine differs from json.Marshal (-want +got):\n%s", i, diff)
		}
	}
}

// TestEncodeLineFallsBack: a line appendLine does not write (a time
// RFC 3339 cannot hold) is json.Marshal's to encode or refuse, as before.
func TestEncodeLineFallsBack(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 25*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -24*3600)),
	} {
		l := AuditLine{Time: tm, RunID: "r", Step: "s", Op: "control.noop", Outcome: "succeeded"}
		_, werr := json.Marshal(&l)
		buf, err := encodeLine(&l)
		if werr == nil || err == nil {
			t.Errorf("%v: json.Marshal error %v, encodeLine error %v; want both to refuse", tm, werr, err)
		}
		if buf != nil {
			putLine(buf)
		}
	}
	l := AuditLine{Time: time.Date(2026, 12, 7, 6, 0, 0, 5, time.UTC), Roles: []string{}, Decision: &report.Decision{Allowed: true, Rule: "admin: *", Via: "direct"}}
	want, _ := json.Marshal(&l)
	buf, err := encodeLine(&l)
	if err != nil {
		t.Fatal(err)
	}
	defer putLine(buf)
	if diff := cmp.Diff(string(want)+"\n", string(*buf)); diff != "" {
		t.Errorf("encodeLine (-want +got):\n%s", diff)
	}
}

// FuzzAppendLine compares appendLine with json.Marshal on strings the
// fuzzer finds.
func FuzzAppendLine(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s, s, int64(len(s)))
	}
	f.Fuzz(func(t *testing.T, a, b string, n int64) {
		i := int(n)
		l := AuditLine{
			Time: time.Unix(n%(1<<34), n%1e9).UTC(), RunID: a, Playbook: b, SHA256: a + b, Roles: []string{a, b}, Step: b, Item: &i,
			Op: a, Params: map[string]any{a: b}, Outcome: b, Error: &report.Error{Class: a, Message: b}, DurationMS: n,
			Decision: &report.Decision{Allowed: n%2 == 0, Rule: a, Via: b, DeniedWhenRun: n%3 == 0, Refusal: a},
			Who:      a, From: b, Action: a, ParentRunID: b, ParentStep: a, Question: b, Answer: a, AnsweredBy: b,
		}
		want, err := json.Marshal(&l)
		if err != nil {
			return
		}
		got, ok := appendLine(nil, &l)
		if !ok || string(got) != string(want) {
			t.Fatalf("appendLine = %q, %v; json.Marshal = %q", got, ok, want)
		}
	})
}

// BenchmarkEncodeLine is the encoding of an execute's audit line.
func BenchmarkEncodeLine(b *testing.B) {
	item := 3
	l := AuditLine{
		Time: time.Now().UTC(), RunID: "0193a5b2c4d5e6f7a8b9c0d1e2f3a4b5", Playbook: "operation control.noop", Roles: []string{"admin"},
		Step: "control.noop", Item: &item, Op: "control.noop", Params: map[string]any{}, Outcome: "succeeded", DurationMS: 1,
		Decision: &report.Decision{Allowed: true, Rule: "admin: *", Via: "direct"}, Who: "ci", From: "127.0.0.1",
	}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, err := json.Marshal(&l)
			if err != nil {
				b.Fatal(err)
			}
			_ = append(data, '\n')
		}
	})
	b.Run("encodeLine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf, err := encodeLine(&l)
			if err != nil {
				b.Fatal(err)
			}
			putLine(buf)
		}
	})
}
