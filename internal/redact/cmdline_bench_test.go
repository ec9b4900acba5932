package redact

import "testing"

// BenchmarkCommandLine measures masking one command line as process.list
// shows it: one with nothing to mask, one with an API key, a curl line
// with a credential header, one with a password flag, and a curl line
// with a JSON body.
func BenchmarkCommandLine(b *testing.B) {
	for _, c := range []struct{ name, line string }{
		{"plain", "/usr/bin/python3 -m worker --queue=default --concurrency=8 --log-level=info /srv/app/config.yaml"},
		{"key", "arsenal-run remote --server http://127.0.0.1:8080 ak_qyuqou7kiynlzd45dipwtm3bjcds6zdyxagr7ei run x.yaml"},
		{"header", "curl -s -H Authorization: Bearer x.y.z -H Content-Type: application/json http://127.0.0.1:8080/api/v1/runs"},
		{"password", "mysqldump -h db.internal -u backup --password=S3cret --single-transaction shop"},
		{"json", `curl -s -X POST -H Content-Type: application/json -d {"user":"bob","password":"S3cret"} https://h/api/login`},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = CommandLine(c.line)
			}
		})
	}
}
