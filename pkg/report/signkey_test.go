package report

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestVerifyTellsAnotherKeyFromAChange: a report signed with a key the
// state dir no longer has (rotated, or made anew after it was lost) is not
// said to have been changed; an edited one signed with the state dir's key
// is; a report written before key ids were recorded leaves both open.
func TestVerifyTellsAnotherKeyFromAChange(t *testing.T) {
	old := bytes.Repeat([]byte{1}, keyLen)
	now := bytes.Repeat([]byte{2}, keyLen)
	r := &Report{ReportVersion: FormatVersion, RunID: "r1", Status: StatusFailed, Inputs: map[string]any{}, Steps: []Step{}}
	if err := Sign(r, old); err != nil {
		t.Fatal(err)
	}
	if r.KeyID != KeyID(old) || KeyID(old) == KeyID(now) || len(r.KeyID) != 16 {
		t.Fatalf("key ids: report %q, old %q, new %q", r.KeyID, KeyID(old), KeyID(now))
	}
	data, _ := json.Marshal(r)

	_, err := Verify(data, now)
	var other *OtherKeyError
	if !errors.As(err, &other) || !errors.Is(err, ErrBadSignature) || errors.Is(err, ErrChanged) {
		t.Fatalf("signed with the old key: %v, want an OtherKeyError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, KeyID(old)) || !strings.Contains(msg, KeyID(now)) || !strings.Contains(msg, "replaced") || strings.Contains(msg, "changed after") {
		t.Errorf("signed with the old key: %q", msg)
	}

	edited := bytes.Replace(data, []byte(`"failed"`), []byte(`"succeeded"`), 1)
	if _, err := Verify(edited, old); !errors.Is(err, ErrChanged) || !errors.Is(err, ErrBadSignature) || errors.As(err, &other) {
		t.Errorf("edited: %v, want ErrChanged", err)
	}

	// Before key ids: the reason cannot be told.
	var m map[string]any
	json.Unmarshal(data, &m)
	delete(m, "key_id")
	delete(m, "signature")
	canon, _ := json.Marshal(m)
	m["signature"] = hex.EncodeToString(macBytes(canon, old))
	legacy, _ := json.Marshal(m)
	if _, err := Verify(legacy, old); err != nil {
		t.Fatalf("a report without a key id, as signed before: %v", err)
	}
	if _, err := Verify(legacy, now); err != ErrBadSignature {
		t.Errorf("a report without a key id, another key: %v, want ErrBadSignature itself", err)
	}
	// A key id that is not one is not quoted.
	m["key_id"] = "\x1b[2Jnot an id"
	odd, _ := json.Marshal(m)
	if _, err := Verify(odd, now); err != ErrBadSignature {
		t.Errorf("an odd key id: %v, want ErrBadSignature itself", err)
	}
}
