package redact

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestString(t *testing.T) {
	const secret = "s3cr3t/+?&\"x"
	r := New(secret, "")
	for _, in := range []string{
		"token=" + secret,
		"b64 " + base64.StdEncoding.EncodeToString([]byte(secret)),
		"url " + url.QueryEscape(secret),
		`json "s3cr3t/+?&\"x"`,
	} {
		if got := r.String(in); strings.Contains(got, "s3cr3t") || strings.Contains(got, base64.StdEncoding.EncodeToString([]byte(secret))) {
			t.Errorf("String(%q) = %q, secret still visible", in, got)
		}
	}
	if got := r.String("nothing here"); got != "nothing here" {
		t.Errorf("String changed text without secrets: %q", got)
	}
}

func TestLiteralNotPattern(t *testing.T) {
	r := New("a.c")
	if got, want := r.String("abc a.c"), "abc ***"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValueCopies(t *testing.T) {
	r := New("hunter2")
	in := map[string]any{"a": []any{"x hunter2", 3}, "hunter2": true}
	got := r.Value(in)
	want := map[string]any{"a": []any{"x ***", 3}, "***": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Value (-want +got):\n%s", diff)
	}
	if in["a"].([]any)[0] != "x hunter2" {
		t.Error("Value changed its input")
	}
}

func TestWriterAcrossWrites(t *testing.T) {
	var out bytes.Buffer
	r := New("topsecret")
	w := r.Writer(&out)
	for _, chunk := range []string{"line one tops", "ecret end\nnext ", "top", "secret"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "line one *** end\nnext ***"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAddLater(t *testing.T) {
	r := New()
	if !r.Empty() {
		t.Fatal("new redactor without secrets is not empty")
	}
	r.Add("later-value")
	if got := r.String("x later-value"); got != "x ***" {
		t.Errorf("got %q", got)
	}
}

// TestWriterLongLineKeepsASecretWhole checks that a line too long to hold
// until its end is passed on in parts cut before a secret, never through
// it, however the writes fall.
func TestWriterLongLineKeepsASecretWhole(t *testing.T) {
	const secret = "topsecret-0123456789"
	for shift := 0; shift < len(secret)+2; shift++ {
		var out bytes.Buffer
		r := New(secret)
		w := r.Writer(&out)
		// The writer keeps the last len(secret) bytes of a long line:
		// the secret starts shift bytes before that point.
		head := strings.Repeat("x", 8192-len(secret)-shift)
		w.Write([]byte(head + secret + strings.Repeat("y", shift)))
		w.Write([]byte(strings.Repeat("z", 8192) + "\n"))
		w.Close()
		if got := out.String(); strings.Contains(got, "topsec") || strings.Contains(got, "6789") || strings.Count(got, "***") != 1 {
			t.Errorf("shift %d: the secret is not masked whole", shift)
		}
	}
}

// TestMultiLineSecretMasksOnlyItsTokens checks that a multi-line secret
// masks its token-like runs wherever they appear alone, and not the
// ordinary lines it shares with other output: a kubeconfig given as a
// secret must not mask "apiVersion: v1" in a manifest.
func TestMultiLineSecretMasksOnlyItsTokens(t *testing.T) {
	kubeconfig := "apiVersion: v1\nkind: Config\nusers:\n- name: kubernetes-admin\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=\n"
	r := New(kubeconfig)
	manifest := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kubernetes-admin\n"
	if got := r.String(manifest); got != manifest {
		t.Errorf("a manifest sharing lines with the secret was changed:\n%s", got)
	}
	if got := r.String("key LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo= printed alone"); got != "key *** printed alone" {
		t.Errorf("the secret's key data printed alone: %q", got)
	}
	if got := r.String("before\n" + kubeconfig + "after"); got != "before\n***after" {
		t.Errorf("the whole secret: %q", got)
	}
}

// TestSecretInURLForms checks that a secret is masked in each form a URL
// holding it is printed in: Go escapes a path, a query, user info and a
// fragment differently, a URL printed whole keeps its path's slashes, and
// other tools escape everything but RFC 3986's unreserved characters.
func TestSecretInURLForms(t *testing.T) {
	tests := []struct{ name, secret, text string }{
		{"request line of a path", "Zx/8ökq!Lm", "GET http://127.0.0.1:9/repo/Zx/8%C3%B6kq%21Lm/x"},
		{"client error for a path", "p@ss w/rd+&=ü", `Get "http://h/x/p@ss%20w/rd+&=%C3%BC/y": EOF`},
		{"path segment", "Zx/8ökq!Lm", "/repo/Zx%2F8%C3%B6kq%21Lm"},
		{"query, + for space", "p@ss w/rd+&=ü", "?t=p%40ss+w%2Frd%2B%26%3D%C3%BC"},
		{"query, %20 for space", "p@ss w/rd+&=ü", "?t=p%40ss%20w%2Frd%2B%26%3D%C3%BC"},
		{"password in user info", "Pa;ss!word 1", "http://admin:Pa;ss%21word%201@h/"},
		{"user name in user info", "Pa;ss!word 1", "http://Pa;ss%21word%201@h/"},
		{"fragment", "Zx/8ökq!Lm", "http://h/#Zx/8%C3%B6kq!Lm"},
		{"Python quote", "p@ss w/rd+&=ü(*)~", "p%40ss%20w/rd%2B%26%3D%C3%BC%28%2A%29~"},
		{"Python quote, safe empty", "p@ss w/rd+&=ü(*)~", "p%40ss%20w%2Frd%2B%26%3D%C3%BC%28%2A%29~"},
		{"Python quote_plus", "p@ss w/rd+&=ü(*)~", "k=p%40ss+w%2Frd%2B%26%3D%C3%BC%28%2A%29~"},
		{"JavaScript encodeURIComponent", "p@ss w/rd+&=ü(*)~", "p%40ss%20w%2Frd%2B%26%3D%C3%BC(*)~"},
	}
	for _, tc := range tests {
		r := New(tc.secret)
		got := r.String(tc.text)
		if !strings.Contains(got, Mask) || strings.Contains(got, "%C3") || strings.Contains(got, "ss") {
			t.Errorf("%s: String(%q) = %q, the secret is not masked", tc.name, tc.text, got)
		}
	}
}

// TestNewWithoutSecretsIsCheap: every run makes a redactor, and most
// have no secret to mask; such a redactor is one allocation and still
// masks what is added later, and a zero Redactor works as well.
func TestNewWithoutSecretsIsCheap(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = New() }); n > 1 {
		t.Errorf("New() made %.0f allocations, want 1", n)
	}
	r := New()
	if got := r.String("token k-77x"); got != "token k-77x" {
		t.Errorf("String without secrets = %q", got)
	}
	r.Add("k-77x")
	if got := r.String("token k-77x"); got != "token ***" {
		t.Errorf("String after Add = %q", got)
	}
	var z Redactor
	z.Add("k-88y")
	if got := z.String("token k-88y"); got != "token ***" {
		t.Errorf("zero Redactor after Add = %q", got)
	}
}

// TestMultiLineSecretLinesPrintedAlone checks that a line of a
// multi-line secret printed alone, or a value on such a line, is masked
// when it is not plain words: a passphrase file's lines, an env file's
// values as a script that sourced it prints them, a JSON key's fields.
func TestMultiLineSecretLinesPrintedAlone(t *testing.T) {
	secret := "line one of my secret key!\n  Pa$$w0rd line two\r\n" +
		"export DB_PASSWORD='s3cr3t!x'\nAPI_KEY=abc123def456\n" +
		`{"private_key_id": "1a2b3c4d5e", "type": "service_account"}` + "\n" +
		"  \"client_id\": \"10987654321\",\nDEBUG=true\nname: kubernetes-admin\n-----BEGIN PRIVATE KEY-----\n"
	r := New(secret)
	for _, printed := range []string{"line one of my secret key!", "Pa$$w0rd line two", "s3cr3t!x", "abc123def456", "10987654321"} {
		if got := r.String("> " + printed + "\n"); got != "> ***\n" {
			t.Errorf("%q printed alone: %q", printed, got)
		}
	}
	ordinary := "DEBUG=true\nname: kubernetes-admin\ntype: service_account\n-----BEGIN PRIVATE KEY-----\n"
	if got := r.String(ordinary); got != ordinary {
		t.Errorf("ordinary lines the secret holds were masked:\n%s", got)
	}
}

// TestMultiLineSecretLeavesItsNumbers checks that the lines of a
// multi-line secret that are dates, times or addresses (or whose values
// are) are not masked on their own: other output holds them too, and
// masking them would mask every date and address the run writes. A plain
// run of digits (a PIN, an account number) still is, as are its secret
// lines and the whole secret.
func TestMultiLineSecretLeavesItsNumbers(t *testing.T) {
	env := "PIN=12345678\nissued: 2026-12-07\nat: 10:00:00.123\nhost: 10.0.0.12\ncard: 4111 1111 1111 1111\npassword: Pa55w0rd!x\n1\nok\n"
	r := New(env)
	other := "job on 2026-12-07 at 10:00:00.123 from 10.0.0.12: 1 ok\n"
	if got := r.String(other); got != other {
		t.Errorf("output sharing dates and addresses with the secret was changed:\n%s", got)
	}
	for _, digits := range []string{"12345678", "4111 1111 1111 1111"} {
		if got := r.String("> " + digits + "\n"); got != "> ***\n" {
			t.Errorf("digits of the secret printed alone: %q", got)
		}
	}
	if got := r.String("login with Pa55w0rd!x"); got != "login with ***" {
		t.Errorf("the secret's password: %q", got)
	}
	if got := r.String("cat:\n" + env); got != "cat:\n***" {
		t.Errorf("the whole secret: %q", got)
	}
}
