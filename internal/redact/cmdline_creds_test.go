package redact

import "testing"

func TestCommandLineCredentials(t *testing.T) {
	const key = "ak_qyuqou7kiynlzd45dipwtm3bjcds6zdyxagr7ei"
	for _, tc := range []struct{ in, want string }{
		// curl as docs/server.md calls the API, its key expanded.
		{"curl -s -H Authorization: Bearer " + key + " -H Content-Type: application/json http://127.0.0.1:8080/api/v1/runs",
			"curl -s -H Authorization: Bearer *** -H Content-Type: application/json http://127.0.0.1:8080/api/v1/runs"},
		{"curl -HAuthorization:Bearer x.y.z https://h/", "curl -HAuthorization:Bearer *** https://h/"},
		{"curl --header=authorization: s3cret https://h/", "curl --header=authorization: *** https://h/"},
		{"curl -H Proxy-Authorization: Basic dTpw -H X-Api-Key: k1 -H X-Vault-Token:hvs.x https://h/",
			"curl -H Proxy-Authorization: Basic *** -H X-Api-Key: *** -H X-Vault-Token:*** https://h/"},
		{"curl -H Cookie: a=1; b=2; c=3 -H Accept: */* https://h/", "curl -H Cookie: *** *** *** -H Accept: */* https://h/"},
		// A key anywhere: an argument, a variable, a flag's value.
		{"arsenal-run remote --server http://h " + key, "arsenal-run remote --server http://h ak_***"},
		{"env ARSENAL_API_KEY=" + key + " tool", "env ARSENAL_API_KEY=ak_*** tool"},
		{"x " + key + "," + key, "x ak_***,ak_***"},
		// The console's session, as curl -b sends it.
		{"curl -b arsenal_session=eyJ.a.b;x=1 -b __Host-arsenal_session=eyJ.c.d https://h/", "curl -b arsenal_session=***;x=1 -b __Host-arsenal_session=*** https://h/"},
		// A URL's password, as before.
		{"psql postgres://u:pw@db/x", "psql postgres://u:***@db/x"},
		// Nothing that is a credential.
		{"sleep 300", "sleep 300"},
		{"grep -r authorization src/", "grep -r authorization src/"},
		{"curl -H X-Authorization-Mode: on https://h/", "curl -H X-Authorization-Mode: on https://h/"},
		{"x ak_short tak_qyuqou7kiynlzd45dipwtm3bjcds6zdyxagr7ei", "x ak_short tak_qyuqou7kiynlzd45dipwtm3bjcds6zdyxagr7ei"},
		{key + " x", "ak_*** x"},
		{"x=" + key, "x=ak_***"},
		{"x " + key + "q ak_QYUQOU7KIYNLZD45DIPWTM3BJCDS6ZDYXAGR7EI " + key[:len(key)-1], "x " + key + "q ak_QYUQOU7KIYNLZD45DIPWTM3BJCDS6ZDYXAGR7EI " + key[:len(key)-1]},
		{"ak_ak_" + key[3:], "ak_ak_***"},
		{"curl -H Authorization:", "curl -H Authorization:"},
	} {
		if got := CommandLine(tc.in); got != tc.want {
			t.Errorf("CommandLine(%q) =\n  %q, want\n  %q", tc.in, got, tc.want)
		}
	}
}
