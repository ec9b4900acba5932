package capture

import (
	"encoding/base64"
	"io"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// BenchmarkLineWriterBase64 passes 1,000 lines of wrapped base64 (76
// characters) through a LineWriter masking one secret; each line is masked
// with its neighbours.
func BenchmarkLineWriterBase64(b *testing.B) {
	benchLines(b, func() []byte {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("some file content 0123456789 ", 2000)))
		var sb strings.Builder
		for len(enc) > 76 && sb.Len() < 77_000 {
			sb.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		return []byte(sb.String())
	}())
}

// BenchmarkLineWriterLog passes 1,000 log lines, which are not held.
func BenchmarkLineWriterLog(b *testing.B) {
	benchLines(b, []byte(strings.Repeat("2026-12-07T15:04:05Z INF request served path=/api/v1/runs status=200\n", 1000)))
}

func benchLines(b *testing.B, text []byte) {
	r := redact.New("Sup3r-s3cret-t0ken-zz")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		w := NewLineWriter(io.Discard, nil, r.String)
		w.Write(text)
		w.Flush()
	}
}
