package capture

import (
	"bytes"
	"encoding/base64"
	"fmt"
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

// xxdRows writes data as xxd -c width does: groups of two bytes' digits,
// padded to the row's width, two spaces and the bytes' text.
func xxdRows(data string, width int) string {
	var b strings.Builder
	for i := 0; i < len(data); i += width {
		row := data[i:min(i+width, len(data))]
		fmt.Fprintf(&b, "%08x:", i)
		for j := 0; j < width; j++ {
			if j%2 == 0 {
				b.WriteByte(' ')
			}
			if j < len(row) {
				fmt.Fprintf(&b, "%02x", row[j])
			} else {
				b.WriteString("  ")
			}
		}
		b.WriteString("  ")
		for _, c := range []byte(row) {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			b.WriteByte(c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestLineWriterMasksNarrowRows: rows of one to three bytes (xxd -c 2,
// od -w1 -c) hold fewer than MinDumpPiece bytes each, so a row masked
// with one row on each side may hold 1 to 3 bytes of a secret at the
// edge of what it is masked with; the live output masks each row with as
// many rows around it as hold that many bytes, and shows what the whole
// text masked shows, wherever the secret starts.
func TestLineWriterMasksNarrowRows(t *testing.T) {
	const secret = "Sup3r-s3cret-t0ken-zz"
	r := redact.New(secret)
	if got := xxdRows("xSup3r-s3ct", 3); got != "00000000: 7853 75  xSu\n00000003: 7033 72  p3r\n00000006: 2d73 33  -s3\n00000009: 6374     ct\n" {
		t.Fatalf("xxdRows is not xxd's:\n%s", got)
	}
	for off := range 5 {
		data := strings.Repeat("x", off) + secret + " tail"
		var od strings.Builder
		for _, c := range []byte(data) {
			fmt.Fprintf(&od, "   %c\n", c)
		}
		for _, text := range []string{xxdRows(data, 1), xxdRows(data, 2), xxdRows(data, 3), od.String()} {
			var out bytes.Buffer
			w := NewLineWriter(&out, nil, r.String)
			for _, l := range strings.SplitAfter(text, "\n") {
				w.Write([]byte(l))
			}
			w.Flush()
			if want := r.String(text); out.String() != want {
				t.Errorf("live:\n%s\nwhole text masked:\n%s", out.String(), want)
			}
		}
	}
}

// TestLineWriterHoldsNarrowRowsBriefly: a row of one byte waits for the
// rows that hold MinDumpPiece-1 bytes after it, no more, and a plain line
// passes the rows held before it on.
func TestLineWriterHoldsNarrowRowsBriefly(t *testing.T) {
	r := redact.New("Sup3r-s3cret-t0ken-zz")
	var out bytes.Buffer
	w := NewLineWriter(&out, nil, r.String)
	rows := xxdRows("abcdef", 1)
	w.Write([]byte(rows))
	if got, want := strings.Count(out.String(), "\n"), 6-(redact.MinDumpPiece-1); got != want {
		t.Errorf("%d rows passed on, want %d:\n%s", got, want, out.String())
	}
	w.Write([]byte("done\n"))
	if want := rows + "done\n"; out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
