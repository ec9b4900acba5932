package redact

import (
	"bytes"
	"strings"
)

// credentialName tells whether name, a flag's without its dashes, a
// variable's or a parameter's, names a credential: its last part (parts
// are split at - _ .) ends with password, passwd, passphrase, secret,
// token or apikey, or it ends with api-key, secret-key or
// secret-access-key, or it is MYSQL_PWD, SSHPASS or REDISCLI_AUTH; any
// case. A name whose first part says how to get one (no-, ask-, with-,
// prompt-, use-, from-, read-) does not. It allocates nothing.
func credentialName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	var buf [64]byte
	n := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' || c == '.':
			c = '_'
		case c == '_':
		default:
			return false
		}
		n[i] = c
	}
	switch string(n) { // compared only: not copied
	case "mysql_pwd", "sshpass", "rediscli_auth":
		return true
	}
	if first := bytes.IndexByte(n, '_'); first > 0 {
		switch string(n[:first]) {
		case "no", "ask", "with", "prompt", "use", "from", "read":
			return false
		}
	}
	last, rest := n, []byte(nil)
	if i := bytes.LastIndexByte(n, '_'); i >= 0 {
		last, rest = n[i+1:], n[:i]
	}
	for _, w := range credentialWords {
		if bytes.HasSuffix(last, []byte(w)) {
			return true
		}
	}
	if string(last) != "key" {
		return false
	}
	return bytes.HasSuffix(rest, []byte("api")) && (len(rest) == 3 || rest[len(rest)-4] == '_') ||
		bytes.HasSuffix(rest, []byte("secret")) ||
		bytes.HasSuffix(rest, []byte("secret_access"))
}

var credentialWords = []string{"password", "passwd", "passphrase", "secret", "token", "apikey"}

// isPasswordWord tells a flag name whose last part names a password.
func isPasswordWord(name string) bool {
	name = strings.ToLower(name)
	return strings.HasSuffix(name, "password") || strings.HasSuffix(name, "passwd")
}

// progKind is a program whose short flags carry credentials.
type progKind uint8

const (
	progOther     progKind = iota
	progMySQL              // -pPASSWORD
	progSSHPass            // -p PASSWORD
	progCurl               // -u USER:PASSWORD
	progOpenSSL            // -passin pass:PASSWORD
	progHTTPie             // -a USER:PASSWORD
	progRedis              // redis-cli -a PASSWORD, --pass PASSWORD
	progMongo              // mongosh -p PASSWORD, mongodump -pPASSWORD
	progLoginable          // docker, podman, az ...: their login's -p
	progLogin              // docker login -p PASSWORD
	progGit                // git config NAME VALUE
	progGitConfig          // git config, before its NAME
)

// shortPassword tells a program in whose flags -p is a password: mysql's
// and mongo's -pV or -p V (mysql's only attached), sshpass's, a
// registry login's.
func shortPassword(prog progKind) bool {
	return prog == progMySQL || prog == progSSHPass || prog == progMongo || prog == progLogin
}

// gitConfigValueFlags are git config's flags that take the next word.
var gitConfigValueFlags = map[string]bool{
	"-f": true, "--file": true, "--blob": true, "--type": true, "--default": true,
	"--comment": true, "--value": true,
}

// progOf is the program w runs, by its base name.
func progOf(w string) progKind {
	if i := strings.LastIndexByte(w, '/'); i >= 0 {
		w = w[i+1:]
	}
	switch w {
	case "mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mysqlcheck",
		"mysqlpump", "mysqlbinlog", "mysqlslap", "mariadb", "mariadb-dump", "mariadb-admin",
		"mariadb-import", "mariadb-check", "mariadb-show", "mariadb-binlog":
		return progMySQL
	case "sshpass":
		return progSSHPass
	case "curl":
		return progCurl
	case "openssl":
		return progOpenSSL
	case "http", "https":
		return progHTTPie
	case "redis-cli", "valkey-cli", "keydb-cli":
		return progRedis
	case "mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport",
		"mongostat", "mongotop", "mongofiles":
		return progMongo
	case "docker", "podman", "nerdctl", "buildah", "skopeo", "helm", "oras", "crane",
		"regctl", "finch", "az", "oc", "cf":
		return progLoginable
	case "git":
		return progGit
	}
	return progOther
}
