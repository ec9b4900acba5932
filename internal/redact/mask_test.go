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
