package redact

import "testing"

// TestCommandLineCredentialArgs: the forms a credential is given to a
// program in on its command line, each masked; and the arguments that
// look like them but hold none, each kept.
func TestCommandLineCredentialArgs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Flags named for a credential, with = or the next word.
		{"mysqldump -h db --password=S3cret shop", "mysqldump -h db --password=*** shop"},
		{"app --db-password S3cret --port 5432", "app --db-password *** --port 5432"},
		{"app -password=S3cret -token abc", "app -password=*** -token ***"},
		{"vault-agent --token=hvs.x --api-key k1 --apikey=k2 --client_secret=cs", "vault-agent --token=*** --api-key *** --apikey=*** --client_secret=***"},
		{"aws --secret-key=sk --aws-secret-access-key sk2 --auth-token t", "aws --secret-key=*** --aws-secret-access-key *** --auth-token ***"},
		{"gpg --passphrase hunter2 -d x.gpg", "gpg --passphrase *** -d x.gpg"},
		{"x --PASSWORD=S3cret", "x --PASSWORD=***"},
		// A value in quotes, as a sh -c line shows it: masked to its end.
		{`sh -c app --password="a b c" --v`, `sh -c app --password=*** --v`},
		{`sh -c app --password 'a b' x`, `sh -c app --password *** x`},
		// mysql's -p, and its --password only with =.
		{"mysql -uroot -pS3cret shop", "mysql -uroot -p*** shop"},
		{"sh -c /usr/bin/mysqldump -u backup -p'S3 cret' shop", "sh -c /usr/bin/mysqldump -u backup -p*** shop"},
		{"mariadb-dump -pS3cret --all-databases", "mariadb-dump -p*** --all-databases"},
		// Variables on a sh -c line, and parameters.
		{"sh -c PGPASSWORD=S3cret psql -h db -U app", "sh -c PGPASSWORD=*** psql -h db -U app"},
		{"sh -c MYSQL_PWD=x REDISCLI_AUTH=y SSHPASS=z GITHUB_TOKEN=t API_KEY=k cmd", "sh -c MYSQL_PWD=*** REDISCLI_AUTH=*** SSHPASS=*** GITHUB_TOKEN=*** API_KEY=*** cmd"},
		{"env AWS_SECRET_ACCESS_KEY=abc AWS_ACCESS_KEY_ID=AKIA1 aws s3 ls", "env AWS_SECRET_ACCESS_KEY=*** AWS_ACCESS_KEY_ID=AKIA1 aws s3 ls"},
		{"vault login -method=userpass username=bob password=S3cret", "vault login -method=userpass username=bob password=***"},
		{"ansible-playbook -e db_password=S3cret site.yml", "ansible-playbook -e db_password=*** site.yml"},
		// A URL's query and its user info.
		{"curl https://h/hook?token=abc&x=1#f", "curl https://h/hook?token=***&x=1#f"},
		{"curl https://h/x?a=1&api_key=k&access_token=t", "curl https://h/x?a=1&api_key=***&access_token=***"},
		{"psql postgres://app:S3cret@db/shop", "psql postgres://app:***@db/shop"},
		// sshpass, curl -u, openssl -passin.
		{"sshpass -p S3cret ssh -p 2222 host", "sshpass -p *** ssh -p 2222 host"},
		{"sshpass -pS3cret ssh -p2222 host", "sshpass -p*** ssh -p2222 host"},
		{"curl -u admin:S3cret https://h/", "curl -u admin:*** https://h/"},
		{"curl -uadmin:S3cret --proxy-user p:q https://h/", "curl -uadmin:*** --proxy-user p:*** https://h/"},
		{"openssl pkcs12 -in a.p12 -passin pass:S3cret -passout pass:x2", "openssl pkcs12 -in a.p12 -passin pass:*** -passout pass:***"},

		// Nothing to mask.
		{"ssh -p 2222 host uptime", "ssh -p 2222 host uptime"},
		{"docker run -p 8080:80 nginx", "docker run -p 8080:80 nginx"},
		{"mysql -u app -p shop", "mysql -u app -p shop"},
		{"mysql --password shop", "mysql --password shop"},
		{"sh -c mysql -pX db; ssh -p2222 h", "sh -c mysql -p*** db; ssh -p2222 h"},
		{"app --password-file=/run/pw --token-file /run/t --secret-name db --password_hash=x", "app --password-file=/run/pw --token-file /run/t --secret-name db --password_hash=x"},
		{"psql --no-password -h db shop", "psql --no-password -h db shop"},
		{"gh auth login --with-token host", "gh auth login --with-token host"},
		{"docker login --password-stdin -u bob registry", "docker login --password-stdin -u bob registry"},
		{"app --token $TOKEN --password=${DB_PW} --secret \"$S\"", "app --token $TOKEN --password=${DB_PW} --secret \"$S\""},
		{"openssl enc -pass env:PW -passin file:/run/pw", "openssl enc -pass env:PW -passin file:/run/pw"},
		{"docker build --secret id=npmrc,src=/home/u/.npmrc .", "docker build --secret id=npmrc,src=/home/u/.npmrc ."},
		{"ffmpeg -i in.mp4 -pass 1 -f null /dev/null", "ffmpeg -i in.mp4 -pass 1 -f null /dev/null"},
		{"sort --key=2 --max-tokens=100 --tokenizer=bpe f", "sort --key=2 --max-tokens=100 --tokenizer=bpe f"},
		{"curl -u admin https://h/?page=2", "curl -u admin https://h/?page=2"},
		{"app --token", "app --token"},
		{"app --token --verbose", "app --token --verbose"},
		{"app --password=", "app --password="},
		{"x --private-key=/home/u/.ssh/id_ed25519 --access-key AKIA1", "x --private-key=/home/u/.ssh/id_ed25519 --access-key AKIA1"},
		{"PWD=/srv OLDPWD=/ x", "PWD=/srv OLDPWD=/ x"},
	} {
		if got := CommandLine(tc.in); got != tc.want {
			t.Errorf("CommandLine(%q) =\n  %q, want\n  %q", tc.in, got, tc.want)
		}
	}
}
