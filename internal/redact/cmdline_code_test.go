package redact

import "testing"

// TestCommandLineCredentialCode: a credential in program text (python -c,
// a YAML body), given to a program's own password flag (redis-cli, mongo,
// a registry login), set by git config or carried as a URL's user name,
// each masked; and the look-alikes that hold none, each kept.
func TestCommandLineCredentialCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Program text: a quoted string assigned to a name so named.
		{`python3 -c import os; token = "abc"; print(token)`, `python3 -c import os; token = "***"; print(token)`},
		{`python3 -c requests.post(u, json={'password': 'S3 cret', 'user': 'bob'})`, `python3 -c requests.post(u, json={'password': '***', 'user': 'bob'})`},
		{`python3 -c connect(host='db',password='S3cret',port=5432)`, `python3 -c connect(host='db',password=***,port=5432)`},
		{`python3 -c get(u, headers={'Authorization': 'Bearer abc', 'X-Api-Key': 'k'})`, `python3 -c get(u, headers={'Authorization': 'Bearer ***', 'X-Api-Key': '***'})`},
		{`ruby -e c = {"secret" => "S3cret"}`, `ruby -e c = {"secret" => "***"}`},
		{`node -e const apiKey = 'k\'1'; go()`, `node -e const apiKey = '***'; go()`},
		{`curl -d {'password': 'x'} h`, `curl -d {'password': '***'} h`},
		// YAML: a line's value, a flow mapping's.
		{"yq -n a: 1\n  db_password: S3 cret\nb: 2", "yq -n a: 1\n  db_password: ***\nb: 2"},
		{"ansible-playbook -e {db_password: S3cret, user: bob} site.yml", "ansible-playbook -e {db_password: ***, user: bob} site.yml"},
		// A program's own password flag.
		{"redis-cli -h h -a S3cret --no-auth-warning", "redis-cli -h h -a *** --no-auth-warning"},
		{"redis-cli --user bob --pass S3cret ping", "redis-cli --user bob --pass *** ping"},
		{"mongosh -u admin -p S3cret db", "mongosh -u admin -p *** db"},
		{"mongodump -u admin -pS3cret --out /b", "mongodump -u admin -p*** --out /b"},
		{"docker login -u bob -p S3cret registry", "docker login -u bob -p *** registry"},
		{"podman login -pS3cret r; helm registry login -p=S3cret r", "podman login -p*** r; helm registry login -p=*** r"},
		{"az login -u bob -p S3cret", "az login -u bob -p ***"},
		// git config NAME VALUE of a name so named.
		{"git config --global github.token abc", "git config --global github.token ***"},
		{"git -C /src config --file .git/config set gitlab.oauthToken abc", "git -C /src config --file .git/config set gitlab.oauthToken ***"},
		// A URL's user name that is a token.
		{"git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r", "git clone https://***@github.com/o/r"},
		{"git clone https://glpat-abcdefghij0123456789@gitlab.com/o/r", "git clone https://***@gitlab.com/o/r"},

		// Nothing to mask.
		{`python3 -c token = os.environ["T"]; print("token: " + token)`, `python3 -c token = os.environ["T"]; print("token: " + token)`},
		{`python3 -c if token == "x": pass`, `python3 -c if token == "x": pass`},
		{`python3 -c password = input('Password: ')`, `python3 -c password = input('Password: ')`},
		{"yq -n a: 1\npassword: $PW\ntoken_type: bearer", "yq -n a: 1\npassword: $PW\ntoken_type: bearer"},
		{"grep -r password: src", "grep -r password: src"},
		{"x --key-file /etc/k --keyring /etc/r --key /etc/tls.key --ssh-key ~/.ssh/id", "x --key-file /etc/k --keyring /etc/r --key /etc/tls.key --ssh-key ~/.ssh/id"},
		{"gpg --keyring pub.gpg --secret-keyring sec.gpg -d x", "gpg --keyring pub.gpg --secret-keyring sec.gpg -d x"},
		{"redis-cli -h h -p 6380 --askpass", "redis-cli -h h -p 6380 --askpass"},
		{"docker run -p 8080:80 img login; ssh -l login -p 2222 h", "docker run -p 8080:80 img login; ssh -l login -p 2222 h"},
		{"git config --global user.email bob@x && git push -p origin", "git config --global user.email bob@x && git push -p origin"},
		{"git clone https://git@github.com/o/r https://bob@h/r", "git clone https://git@github.com/o/r https://bob@h/r"},
	} {
		if got := CommandLine(tc.in); got != tc.want {
			t.Errorf("CommandLine(%q) =\n  %q, want\n  %q", tc.in, got, tc.want)
		}
	}
}
