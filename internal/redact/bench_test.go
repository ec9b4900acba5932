package redact

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// benchOutput is a MiB of what steps print: log lines, JSON, base64,
// with a secret in one line of a hundred.
func benchOutput(secret string) string {
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "2024-05-01T10:00:%02d INFO worker-%d processed job %d in %dms\n", i%60, i%16, i, i%997)
		case 1:
			fmt.Fprintf(&b, `{"level":"info","msg":"request done","path":"/api/v1/items/%d","status":200}`+"\n", i)
		case 2:
			fmt.Fprintf(&b, "data: dGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZyAjJWQ=%d\n", i)
		default:
			if i%100 == 3 {
				fmt.Fprintf(&b, "token used: %s\n", secret)
			} else {
				fmt.Fprintf(&b, "  at com.example.Service.handle(Service.java:%d)\n", i%500)
			}
		}
	}
	return b.String()
}

const benchKey = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n"

// BenchmarkString measures masking a MiB of step output (b.SetBytes:
// MB/s) with a token, a password and a private key as secrets.
func BenchmarkString(b *testing.B) {
	const token = "ghp_R4nd0mT0k3nV4lu3xYz0123456789ab"
	r := New(token, "Pa$$w0rd-zz9", benchKey)
	out := benchOutput(token)
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for range b.N {
		_ = r.String(out)
	}
}

// BenchmarkWriter is BenchmarkString through the line writer that masks
// live process output, written 4 KiB at a time as a pipe delivers it.
func BenchmarkWriter(b *testing.B) {
	const token = "ghp_R4nd0mT0k3nV4lu3xYz0123456789ab"
	r := New(token, "Pa$$w0rd-zz9", benchKey)
	out := []byte(benchOutput(token))
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for range b.N {
		w := r.Writer(io.Discard)
		for p := out; len(p) > 0; {
			n := min(len(p), 4096)
			w.Write(p[:n])
			p = p[n:]
		}
		w.Close()
	}
}

// BenchmarkStringHashLines is BenchmarkString over a MiB of lines of hex
// and base64 (checksums, keys), each read as base64 text that may hold a
// piece of a secret's base64.
func BenchmarkStringHashLines(b *testing.B) {
	const token = "ghp_R4nd0mT0k3nV4lu3xYz0123456789ab"
	r := New(token, "Pa$$w0rd-zz9", benchKey)
	var sb strings.Builder
	for i := 0; sb.Len() < 1<<20; i++ {
		fmt.Fprintf(&sb, "%064x\n", uint64(i)*0x9e3779b97f4a7c15)
	}
	out := sb.String()
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for range b.N {
		_ = r.String(out)
	}
}

// BenchmarkStringDump is BenchmarkString over a MiB of xxd output.
func BenchmarkStringDump(b *testing.B) {
	const token = "ghp_R4nd0mT0k3nV4lu3xYz0123456789ab"
	r := New(token, "Pa$$w0rd-zz9", benchKey)
	var sb strings.Builder
	for off := 0; sb.Len() < 1<<20; off += 16 {
		fmt.Fprintf(&sb, "%08x: 6865 6c6c 6f20 776f 726c 6420 6865 6c6c  hello world hell\n", off)
	}
	out := sb.String()
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for range b.N {
		_ = r.String(out)
	}
}

// BenchmarkStringOD is BenchmarkString over a MiB of od -c output.
func BenchmarkStringOD(b *testing.B) {
	const token = "ghp_R4nd0mT0k3nV4lu3xYz0123456789ab"
	r := New(token, "Pa$$w0rd-zz9", benchKey)
	var sb strings.Builder
	for off := 0; sb.Len() < 1<<20; off += 16 {
		fmt.Fprintf(&sb, "%07o   h   e   l   l   o       w   o   r   l   d       h   e   l   l\n", off)
	}
	out := sb.String()
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for range b.N {
		_ = r.String(out)
	}
}
