package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAppendIndentedIsJSONIndent checks that a report written from its
// encoding is indented byte for byte as json.Indent indents it, for each
// golden report and for values that json.Marshal writes with escapes,
// empty objects and arrays, and nesting.
func TestAppendIndentedIsJSONIndent(t *testing.T) {
	key := bytes.Repeat([]byte{7}, keyLen)
	inputs := map[string][]byte{}
	for _, name := range goldenInputs {
		enc, err := SignEncoded(loadGolden(t, name), key)
		if err != nil {
			t.Fatal(err)
		}
		inputs[name] = enc
	}
	odd, err := json.Marshal(map[string]any{
		"quote \" and \\ backslash": "a \"quoted\" \\ value, <tag> & \u2028 \x01 é",
		"empty":                     map[string]any{},
		"none":                      []any{},
		"nested":                    []any{[]any{}, map[string]any{"a": []any{1, "]", "}", map[string]any{}}}, nil, true, 1.5e300},
		"ends with backslash":       `\`,
	})
	if err != nil {
		t.Fatal(err)
	}
	inputs["escapes and empties"] = odd
	inputs["empty object"] = []byte(`{}`)
	inputs["scalar"] = []byte(`"just a string"`)
	for name, src := range inputs {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			if err := json.Indent(&want, src, "", "  "); err != nil {
				t.Fatal(err)
			}
			got, ok := appendIndented(nil, src)
			if !ok || !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("appendIndented = %v,\n%s\njson.Indent:\n%s", ok, got, want.Bytes())
			}
		})
	}
	for _, bad := range []string{`{"a":1`, `{"a":"b}`, `{"a":1}}`, `{ "a": 1 }`} {
		if _, ok := appendIndented(nil, []byte(bad)); ok {
			t.Errorf("appendIndented(%s) answered ok; want false, for json.Indent to say what is wrong", bad)
		}
	}
}

// FuzzAppendIndented checks appendIndented against json.Indent on any
// valid JSON, made compact as json.Marshal writes it.
func FuzzAppendIndented(f *testing.F) {
	f.Add([]byte(`{"a":[1,{},[],"x\"y\\"],"b":{"c":null}}`))
	f.Add([]byte(`[{"":""},[[]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		var compact, want bytes.Buffer
		if err := json.Compact(&compact, data); err != nil {
			t.Fatal(err)
		}
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		got, ok := appendIndented(nil, compact.Bytes())
		if !ok || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendIndented(%s) = %v,\n%s\njson.Indent:\n%s", compact.Bytes(), ok, got, want.Bytes())
		}
	})
}

// BenchmarkIndentReport is indenting a signed report to write it, as
// every run with a state dir does: json.Indent, as it was done, and
// appendIndented, as it is done.
//
//	go test -run '^$' -bench BenchmarkIndentReport -benchmem -count 6 ./pkg/report/
func BenchmarkIndentReport(b *testing.B) {
	enc, err := SignEncoded(loadGolden(b, goldenInputs[0]), bytes.Repeat([]byte{7}, keyLen))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("json.Indent", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			var buf bytes.Buffer
			buf.Grow(2*len(enc) + 1)
			if err := json.Indent(&buf, enc, "", "  "); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendIndented", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			if _, ok := appendIndented(make([]byte, 0, 2*len(enc)+1), enc); !ok {
				b.Fatal("not indented")
			}
		}
	})
}
