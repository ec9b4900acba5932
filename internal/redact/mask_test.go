package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddValueMasksEachLeaf(t *testing.T) {
	r := New()
	got := r.AddValue(map[string]any{"user": "admin-qq7", "hosts": []any{"h-aaa-1", 4815162342, true}, "none": nil})
	want := []string{"4815162342", "admin-qq7", "h-aaa-1", "true"}
	if diff := cmp.Diff(want, got, cmp.Transformer("sort", sorted)); diff != "" {
		t.Errorf("AddValue (-want +got):\n%s", diff)
	}
	if s := r.String("to h-aaa-1 as admin-qq7"); s != "to *** as ***" {
		t.Errorf("String = %q", s)
	}
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sortByLenDesc(out)
	return out
}

func TestValueMasksSecretScalars(t *testing.T) {
	r := New()
	r.AddValue([]any{987654, 0.8675309, 1e21})
	in := map[string]any{"pin": 987654, "ratio": 0.8675309, "big": 1e21, "other": 9876540, "n": json.Number("987654")}
	want := map[string]any{"pin": Mask, "ratio": Mask, "big": Mask, "other": 9876540, "n": Mask}
	if diff := cmp.Diff(want, r.Value(in)); diff != "" {
		t.Errorf("Value (-want +got):\n%s", diff)
	}
}

func TestJSONWriterMasksEscapedSecrets(t *testing.T) {
	const secret = `pa"ss\wd-zz9`
	r := New(secret)
	var out bytes.Buffer
	w := r.JSONWriter(&out)
	quoted, _ := json.Marshal(map[string]string{"t": secret})
	for _, msg := range []string{secret, string(quoted), fmt.Sprintf("bad value %q", secret)} {
		line, _ := json.Marshal(map[string]string{"message": msg, "level": "info"})
		w.Write(append(line, '\n'))
	}
	w.Write([]byte(`{"message":"not json` + "\n"))
	w.Close()
	if strings.Contains(out.String(), "zz9") {
		t.Errorf("the secret shows:\n%s", out.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[:3] {
		var v map[string]string
		if err := json.Unmarshal([]byte(line), &v); err != nil || !strings.Contains(v["message"], Mask) || v["level"] != "info" {
			t.Errorf("line %s: %v %v", line, v, err)
		}
	}
}

func TestStringMasksGoQuotedSecret(t *testing.T) {
	const secret = "ab\x01cd-zz9"
	r := New(secret)
	if got := r.String(fmt.Sprintf("invalid %q", secret)); got != `invalid "***"` {
		t.Errorf("got %q", got)
	}
}

// TestMaskedAsOftenWritten: a secret that ends with a line break (read
// from a file, a block scalar, a dotenv value) is masked without it, as a
// program prints it; and one escaped for HTML, or for JSON with its
// non-ASCII characters escaped (Python's json.dumps), is masked too.
func TestMaskedAsOftenWritten(t *testing.T) {
	for _, tc := range []struct{ secret, text string }{
		{"S3cr3t-FILE\n", "f=[S3cr3t-FILE]"},
		{"pw9\r\n", "login pw9 ok"},
		{"p\u00e4ssw\u00f6rd\u2713Zq9", `{"pw": "p\u00e4ssw\u00f6rd\u2713Zq9"}`},
		{"it's-S3cr3t", "<td>it&#x27;s-S3cr3t</td>"},
		{"it's-S3cr3t", "<td>it&#39;s-S3cr3t</td>"},
		{`<x&y>"q'z9`, "&lt;x&amp;y&gt;&quot;q&#x27;z9"},
		{"gr\U0001F600in", `"gr\ud83d\ude00in"`},
	} {
		got := New(tc.secret).String(tc.text)
		if strings.Contains(got, "S3cr3t") || strings.Contains(got, "pw9") || strings.Contains(got, "ssw") || strings.Contains(got, "z9") || strings.Contains(got, "gr") {
			t.Errorf("secret %q in %q: %q", tc.secret, tc.text, got)
		}
	}
}

// TestShellQuotedSecret checks that a secret is masked as shells and
// their tools quote it: bash's set -x trace, Python's shlex.quote and
// bash's printf %q.
func TestShellQuotedSecret(t *testing.T) {
	const secret = "it's-S3cr3t pass$(x)"
	r := New(secret)
	for _, text := range []string{
		`+ curl -u 'it'\''s-S3cr3t pass$(x)'`,
		`'it'"'"'s-S3cr3t pass$(x)'`,
		`it\'s-S3cr3t\ pass\$\(x\)`,
	} {
		if got := r.String(text); strings.Contains(got, "S3cr3t") {
			t.Errorf("String(%q) = %q", text, got)
		}
	}
}
