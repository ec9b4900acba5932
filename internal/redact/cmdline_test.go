package redact

import "testing"

func TestURLPasswords(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"arsenal-run serve --state postgres://arsenal:S3cret@db.internal:5432/arsenal --listen :8080",
			"arsenal-run serve --state postgres://arsenal:***@db.internal:5432/arsenal --listen :8080"},
		{"arsenal-run run x.yaml --state=postgresql://u:p%40ss@db/x?sslmode=require",
			"arsenal-run run x.yaml --state=postgresql://u:***@db/x?sslmode=require"},
		// A password holding / or @, as a program may read it, is masked whole.
		{"psql postgres://u:a/b@c@db/x", "psql postgres://u:***@db/x"},
		{"curl -d {\"u\":\"https://bob:tok@api.example/x\"} https://a:b@h/ https://plain/x",
			"curl -d {\"u\":\"https://bob:***@api.example/x\"} https://a:***@h/ https://plain/x"},
		// No password, or none in the user info: nothing to mask.
		{"git clone https://bob@git.example/r.git", "git clone https://bob@git.example/r.git"},
		{"x https://u:@h/ https://h:8080/p", "x https://u:@h/ https://h:8080/p"},
		{"sleep 300", "sleep 300"},
		{"x ://", "x ://"},
	} {
		if got := URLPasswords(tc.in); got != tc.want {
			t.Errorf("URLPasswords(%q) =\n  %q, want\n  %q", tc.in, got, tc.want)
		}
	}
}
