package capture

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPartsEncodeAsTheirJoin: ValidText and Base64 of Cut's parts are
// what strings.ToValidUTF8 and base64 make of Join's bytes, and their
// lengths are said before they are built, for any bytes and cut.
func TestPartsEncodeAsTheirJoin(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\n\xff\xfe\xc3\xa9\xe2\x82\xac\xef\xbf\xbd\xf0\x9f")
	for i := range 2000 {
		random := func() []byte {
			b := make([]byte, rng.IntN(40))
			for j := range b {
				b[j] = alphabet[rng.IntN(len(alphabet))]
			}
			return b
		}
		head, tail := random(), random()
		dropped := int64(rng.IntN(3)) * 7
		parts := Cut(head, tail, dropped, []string{"ab\xff"})
		joined := Join(head, tail, dropped, []string{"ab\xff"})
		if got, want := ValidText(parts), strings.ToValidUTF8(string(joined), "\uFFFD"); got != want || len(got) != ValidTextLen(parts) {
			t.Fatalf("%d: ValidText %q (len %d said), want %q", i, got, ValidTextLen(parts), want)
		}
		if got, want := Base64(parts), base64.StdEncoding.EncodeToString(joined); got != want || len(got) != Base64Len(parts) {
			t.Fatalf("%d: Base64 %q, want %q", i, got, want)
		}
		if !bytes.Equal(bytes.Join(parts, nil), joined) {
			t.Fatalf("%d: the parts are not the join", i)
		}
	}
}
