package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// referenceCanonical is the canonical form as Verify computes it: decode
// with UseNumber, drop the signature, encode.
func referenceCanonical(data []byte) ([]byte, error) {
	m, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	_, canon, err := macOf(m, []byte("k"))
	return canon, err
}

func checkCanonical(t *testing.T, name string, data []byte) {
	t.Helper()
	want, err := referenceCanonical(data)
	got, gerr := canonical(data)
	if err != nil {
		if gerr == nil {
			t.Errorf("%s: canonical accepted what decoding refuses (%v): %.200s", name, err, data)
		}
		return
	}
	if gerr != nil {
		t.Errorf("%s: canonical: %v; input %.300s", name, gerr, data)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: canonical differs from decoding and encoding again\n got  %.400s\n want %.400s", name, got, want)
	}
}

// The reports signed in tests and the golden ones sign the same way both
// ways, and so does every report Sign can be given.
func TestCanonicalMatchesDecodingOfReports(t *testing.T) {
	files, _ := filepath.Glob("testdata/report/*.json")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkCanonical(t, f, data)
		var r Report
		if err := json.Unmarshal(data, &r); err == nil {
			compact, _ := json.Marshal(&r)
			checkCanonical(t, f+" as Sign marshals it", compact)
		}
	}
	if len(files) == 0 {
		t.Fatal("no reports under testdata/report")
	}
}

// Random JSON objects: members out of order and repeated, nested values,
// the strings encoding/json writes differently from how they may come
// (escapes, <>&, U+2028, invalid UTF-8, control characters), numbers as
// written, whitespace.
func TestCanonicalMatchesDecodingOfRandomJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "a", "b", "signature", "ok <b>&amp;</b>", "line\nbreak", "tab\t", "quote\"", `back\slash`,
		"é", "日本", "\u2028", "\xff\xfe", "\x01", "z", "aa", "a\u0000b", "€uro"}
	nums := []string{"0", "-0", "1", "-17", "3.25", "1e21", "1E-7", "123456789012345678901234567890", "0.1"}
	var value func(depth int) string
	key := func() string {
		k := strs[rng.IntN(len(strs))]
		b, _ := json.Marshal(k)
		if rng.IntN(4) == 0 { // written with escapes encoding/json would not use
			var sb strings.Builder
			sb.WriteByte('"')
			for _, r := range k {
				fmt.Fprintf(&sb, `\u%04x`, r)
			}
			sb.WriteByte('"')
			return sb.String()
		}
		return string(b)
	}
	ws := func() string { return [...]string{"", "", " ", "\n  "}[rng.IntN(4)] }
	value = func(depth int) string {
		switch n := rng.IntN(9); {
		case depth > 3 || n < 2:
			return nums[rng.IntN(len(nums))]
		case n < 4:
			return key()
		case n == 4:
			return [...]string{"true", "false", "null"}[rng.IntN(3)]
		case n == 5:
			var parts []string
			for range rng.IntN(4) {
				parts = append(parts, ws()+value(depth+1)+ws())
			}
			return "[" + strings.Join(parts, ",") + "]"
		default:
			var parts []string
			for range rng.IntN(6) {
				parts = append(parts, ws()+key()+ws()+":"+ws()+value(depth+1))
			}
			return "{" + strings.Join(parts, ",") + ws() + "}"
		}
	}
	for i := range 3000 {
		var parts []string
		for range 1 + rng.IntN(6) {
			parts = append(parts, key()+":"+value(0))
		}
		checkCanonical(t, fmt.Sprint("case ", i), []byte(ws()+"{"+strings.Join(parts, ",")+"}"+ws()))
	}
}

func TestCanonicalRefusesWhatIsNotAReport(t *testing.T) {
	for _, in := range []string{``, `[]`, `null`, `{"a":1`, `{"a":1,}`, `{"a":}`, `{"a" 1}`, `{"a":1} x`, `{"a":tru}`,
		`{"a":"\q"}`, "{\"a\":\"\x01\"}", `{"a":[1,]}`, `{"a":01}`, `{a:1}`, `{"a":"x}`, `{"signature":"x",}`} {
		if _, err := canonical([]byte(in)); err == nil {
			t.Errorf("canonical(%q) gave no error", in)
		}
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{}`, `{"b":1,"a":[true,null,"<x>"]}`, `{"signature":"x","a":{"d":1,"c":2,"c":3}}`, `{"s":"\u00e9\ud83d\ude00"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkCanonical(t, "fuzz", data)
	})
}

// BenchmarkCanonical: the canonical form of the largest test report, as
// Sign made it before (decode, drop the signature, encode) and as it does
// now.
func BenchmarkCanonical(b *testing.B) {
	files, _ := filepath.Glob("testdata/report/*.json")
	var r Report
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var x Report
		if json.Unmarshal(data, &x) == nil && len(x.Steps) > len(r.Steps) {
			r = x
		}
	}
	data, err := json.Marshal(&r)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode and encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := referenceCanonical(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := canonical(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
