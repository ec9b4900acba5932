package capture

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// TestLineWriterMasksAcrossRowEdges: the live output of a hex dump, or of
// wrapped base64, shows what the whole text masked shows, however the
// secret falls across the lines: 1 to 3 of its bytes at a dump row's
// edge, and a few characters of its base64 at a line's, are masked too.
func TestLineWriterMasksAcrossRowEdges(t *testing.T) {
	const secret = "Sup3r-s3cret-t0ken-zz"
	r := redact.New(secret)
	texts := []string{
		// hexdump -C: "Sup" ends the first row, "zz" starts the third.
		"00000000  78 78 78 78 78 78 78 78  78 78 78 78 78 53 75 70  |xxxxxxxxxxxxxSup|\n" +
			"00000010  33 72 2d 73 33 63 72 65  74 2d 74 30 6b 65 6e 2d  |3r-s3cret-t0ken-|\n" +
			"00000020  7a 7a 20 74 61 69 6c 0a                           |zz tail.|\n" +
			"00000028\n",
		// xxd: "S" ends the first row, "zz" the second's start.
		"00000000: 7878 7878 7878 7878 7878 7878 7878 7853  xxxxxxxxxxxxxxxS\n" +
			"00000010: 7570 3372 2d73 3363 7265 742d 7430 6b65  up3r-s3cret-t0ke\n" +
			"00000020: 6e2d 7a7a 0a                             n-zz.\n",
	}
	for _, prefix := range []string{"user:" + strings.Repeat("x", 54), "user:" + strings.Repeat("x", 55), "u:" + strings.Repeat("y", 52)} {
		enc := base64.StdEncoding.EncodeToString([]byte(prefix + secret + "\n" + strings.Repeat("z", 60)))
		var lines []string
		for len(enc) > 76 {
			lines, enc = append(lines, enc[:76]), enc[76:]
		}
		texts = append(texts, "blob:\n"+strings.Join(append(lines, enc), "\n")+"\ndone\n")
	}
	for _, text := range texts {
		var out bytes.Buffer
		w := NewLineWriter(&out, nil, r.String)
		for _, l := range strings.SplitAfter(text, "\n") {
			w.Write([]byte(l))
		}
		w.Flush()
		if want := r.String(text); out.String() != want {
			t.Errorf("live:\n%s\nwhole text masked:\n%s", out.String(), want)
		}
		if strings.Contains(out.String(), "Sup|") || strings.Contains(out.String(), "|zz") || strings.Contains(out.String(), "  xxxxxxxxxxxxxxxS") {
			t.Errorf("a piece at a row's edge shows:\n%s", out.String())
		}
	}
}

// TestLineWriterHoldsOnlyLinesThatGoOn: a plain line is passed on as it
// ends; a dump row waits for the next line, or for Flush.
func TestLineWriterHoldsOnlyLinesThatGoOn(t *testing.T) {
	r := redact.New("Sup3r-s3cret-t0ken-zz")
	var out bytes.Buffer
	w := NewLineWriter(&out, nil, r.String)
	w.Write([]byte("starting\n"))
	if out.String() != "starting\n" {
		t.Fatalf("a plain line was held: %q", out.String())
	}
	row := "00000000: 6865 6c6c 6f0a                           hello.\n"
	w.Write([]byte(row))
	if out.String() != "starting\n" {
		t.Errorf("a dump row was passed on before the next line: %q", out.String())
	}
	w.Flush()
	if out.String() != "starting\n"+row {
		t.Errorf("after Flush: %q", out.String())
	}
	var none bytes.Buffer
	w = NewLineWriter(&none, nil, nil)
	w.Write([]byte(row))
	if none.String() != row {
		t.Errorf("without secrets a dump row was held: %q", none.String())
	}
}
