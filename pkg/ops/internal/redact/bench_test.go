package redact

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/arsenal-run/arsenal-run/internal/redact"
)

// exactMasker is what the live masker was before it masked every form:
// the secrets' text and a multi-line secret's pieces, by a
// strings.Replacer. It is kept here to measure the cost of the forms.
func exactMasker(secrets []string) func(string) string {
	var s []string
	for _, v := range secrets {
		s = append(s, v)
		s = append(s, redact.Tokens(v)...)
	}
	sort.Slice(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	pairs := make([]string, 0, 2*len(s))
	for _, v := range s {
		pairs = append(pairs, v, Mask)
	}
	return strings.NewReplacer(pairs...).Replace
}

// BenchmarkMasker measures masking a MiB of live output, line by line as
// the live writers do (b.SetBytes: MB/s), with a token, a password and a
// private key as secrets: exact is the text alone, forms every form.
func BenchmarkMasker(b *testing.B) {
	const token = "ghp_R4nd0mT0k3nV4lu3xYz0123456789ab"
	const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n"
	secrets := []string{token, "Pa$$w0rd-zz9", key}
	var lines []string
	size := 0
	for i := 0; size < 1<<20; i++ {
		var l string
		switch i % 4 {
		case 0:
			l = fmt.Sprintf("2024-05-01T10:00:%02d INFO worker-%d processed job %d in %dms", i%60, i%16, i, i%997)
		case 1:
			l = fmt.Sprintf(`{"level":"info","msg":"request done","path":"/api/v1/items/%d","status":200}`, i)
		case 2:
			l = fmt.Sprintf("data: dGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZyAjJWQ=%d", i)
		default:
			l = fmt.Sprintf("  at com.example.Service.handle(Service.java:%d)", i%500)
			if i%100 == 3 {
				l = "token used: " + token
			}
		}
		lines = append(lines, l)
		size += len(l) + 1
	}
	for _, m := range []struct {
		name string
		mask func(string) string
	}{{"exact", exactMasker(secrets)}, {"forms", Masker(secrets)}} {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, l := range lines {
					_ = m.mask(l)
				}
			}
		})
	}
}
