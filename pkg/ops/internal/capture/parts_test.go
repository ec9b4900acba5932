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

// TestTextOfPartsIsTextOfTheJoin: TextOf Cut's parts is what Text makes
// of Join's bytes, escape sequences and controls at the cut's edges
// included, its length said before it is built; with runs, each run of
// invalid bytes is one U+FFFD, and the text is never more than twice the
// bytes and a byte a part.
func TestTextOfPartsIsTextOfTheJoin(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab\n\t\r\x1b[]7m\x07\xff\xfe\xc3\xa9\xe2\x82\xac\xc2\x9b\xf0\x9f\x7f")
	for i := range 4000 {
		random := func() []byte {
			b := make([]byte, rng.IntN(40))
			for j := range b {
				b[j] = alphabet[rng.IntN(len(alphabet))]
			}
			return b
		}
		head, tail := random(), random()
		dropped := int64(rng.IntN(3)) * 7
		parts := Cut(head, tail, dropped, nil)
		want := Text(Join(head, tail, dropped, nil))
		if got := TextOf(parts, false); got != want || len(got) != TextLen(parts, false) {
			t.Fatalf("%d: TextOf %q (len %d said), want %q", i, got, TextLen(parts, false), want)
		}
		runs := TextOf(parts, true)
		if strings.ReplaceAll(runs, "\uFFFD", "") != strings.ReplaceAll(want, "\uFFFD", "") || len(runs) != TextLen(parts, true) || len(runs) > 2*Len(parts)+len(parts) {
			t.Fatalf("%d: TextOf with runs %q (len %d said) of %d bytes; without %q", i, runs, TextLen(parts, true), Len(parts), want)
		}
	}
}

// TestPartsInPlace: Parts puts a cut buffer's ring in order where it is,
// and what is written after is kept as if it had not.
func TestPartsInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 500 {
		limit := 2 + rng.IntN(64)
		a, b := NewBuffer(limit), NewBuffer(limit)
		b.TakeFrom(grant{})
		for range 1 + rng.IntN(6) {
			p := make([]byte, rng.IntN(3*limit))
			for j := range p {
				p[j] = byte('a' + rng.IntN(26))
			}
			a.Write(p)
			b.Write(p)
			if got, want := b.Bytes(), a.Bytes(); !bytes.Equal(got, want) {
				t.Fatalf("%d: %q, want %q", i, got, want)
			}
		}
	}
}

// grant is a Room that gives all it is asked.
type grant struct{}

func (grant) Take(int) bool { return true }
