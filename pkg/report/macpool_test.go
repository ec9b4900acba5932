package report

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"testing"
)

// TestMACsUsedAgainSignAsNew: the HMACs macBytes keeps for its last key
// give what one made anew gives, for every key in turn and from many
// goroutines at once, a key that was replaced included.
func TestMACsUsedAgainSignAsNew(t *testing.T) {
	fresh := func(canon, key []byte) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(macContext))
		h.Write(canon)
		return h.Sum(nil)
	}
	keys := [][]byte{bytes.Repeat([]byte{1}, keyLen), bytes.Repeat([]byte{2}, keyLen), bytes.Repeat([]byte{1}, keyLen), []byte("short")}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				key := keys[(g+i/50)%len(keys)]
				canon := []byte(`{"n":` + string(rune('0'+i%10)) + `}`)
				if got, want := macBytes(canon, key), fresh(canon, key); !bytes.Equal(got, want) {
					t.Errorf("key %x, %s: MAC %x, want %x", key, canon, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestMACAllocations: a report's MAC under the process's one key uses
// an HMAC again rather than making one, which allocated its two hashes
// and more for every report.
func TestMACAllocations(t *testing.T) {
	if raceBuild {
		t.Skip("under the race detector a sync.Pool drops some of what it is given")
	}
	key := bytes.Repeat([]byte{7}, keyLen)
	canon := []byte(`{"run_id":"r","status":"succeeded"}`)
	macBytes(canon, key)
	if n := testing.AllocsPerRun(100, func() { macBytes(canon, key) }); n > 1 {
		t.Errorf("a MAC made %.1f allocations, want at most 1 (its sum)", n)
	}
}

// TestSignEncodedAllocations: signing a report reuses the canonical
// form's buffers and the key's HMAC; each report used to grow the
// buffers anew and make an HMAC. Signing this report made 32 allocations
// more than encoding it, and makes 16 (strings written again in their
// canonical form, the signature's text): the bound is 22.
func TestSignEncodedAllocations(t *testing.T) {
	if raceBuild {
		t.Skip("under the race detector a sync.Pool drops some of what it is given")
	}
	key := bytes.Repeat([]byte{7}, keyLen)
	r := loadGolden(t, goldenInputs[0])
	if _, err := SignEncoded(r, key); err != nil {
		t.Fatal(err)
	}
	encode := testing.AllocsPerRun(50, func() { _, _ = json.Marshal(r) })
	sign := testing.AllocsPerRun(50, func() { _, _ = SignEncoded(r, key) })
	t.Logf("encoding %.1f allocations, signing with it %.1f", encode, sign)
	if sign > encode+22 {
		t.Errorf("signing a report made %.1f allocations, its encoding %.1f: more than 22 for the signature", sign, encode)
	}
}
