package redact

import "testing"

// TestCommandLineCredentialPairs: a credential given inside an argument
// (a JSON body, a form body, docker's -e, kubectl's --from-literal, helm's
// --set, aws configure set), each masked; and the bodies and pairs that
// look like them but hold none, each kept.
func TestCommandLineCredentialPairs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// A JSON body, as curl, httpie or ansible -e take it.
		{`curl -d {"password":"S3cret"} https://h/`, `curl -d {"password":"***"} https://h/`},
		{`sh -c curl -d '{"user":"bob", "password": "S3 cret"}' https://h/`, `sh -c curl -d '{"user":"bob", "password": "***"}' https://h/`},
		{`curl --data-raw {"user":"bob","token":"abc","n":1} https://h/`, `curl --data-raw {"user":"bob","token":"***","n":1} https://h/`},
		{`curl --json {"auth":{"api_key":"k","client_secret":"c"}} https://h/`, `curl --json {"auth":{"api_key":"***","client_secret":"***"}} https://h/`},
		{`sh -c curl -d "{\"password\":\"S3cret\"}" https://h/`, `sh -c curl -d "{\"password\":\"***\"}" https://h/`},
		{`x {"password":"a\"b","pin_token":1234}`, `x {"password":"***","pin_token":***}`},
		{`ansible-playbook -e {"db_password":"S3cret"} site.yml`, `ansible-playbook -e {"db_password":"***"} site.yml`},
		// httpie's fields, query parameters and --auth.
		{"http POST https://h/ user=bob password=S3cret", "http POST https://h/ user=bob password=***"},
		{"http POST https://h/ password:=S3cret token==abc", "http POST https://h/ password:=*** token==***"},
		{"http -a bob:S3cret https://h/", "http -a bob:*** https://h/"},
		{"https --auth=bob:S3cret --auth-type=bearer -a tok h/", "https --auth=bob:*** --auth-type=bearer -a *** h/"},
		// A form body: the pair after & up to the next &.
		{"curl -d x=1&token=abc&y=2 https://h/", "curl -d x=1&token=***&y=2 https://h/"},
		{"curl -d grant_type=client_credentials&client_secret=S3cret https://h/t", "curl -d grant_type=client_credentials&client_secret=*** https://h/t"},
		{"curl -d token=abc&x=1 https://h/", "curl -d token=*** https://h/"},
		{"wget -q -O- h/login?user=bob&password=S3cret", "wget -q -O- h/login?user=bob&password=***"},
		// docker's -e/--env, kubectl's --from-literal, helm's --set.
		{"docker run --env=DB_PASSWORD=S3cret img", "docker run --env=DB_PASSWORD=*** img"},
		{"sh -c docker run -e 'PGPASSWORD=S3cret' -e \"API_TOKEN=a b\" img", "sh -c docker run -e 'PGPASSWORD=***' -e \"API_TOKEN=***\" img"},
		{"sh -c docker run --env='DB_PASSWORD=a b' img", "sh -c docker run --env='DB_PASSWORD=***' img"},
		{"kubectl create secret generic x --from-literal=password=S3cret --from-literal=user=bob", "kubectl create secret generic x --from-literal=password=*** --from-literal=user=bob"},
		{"helm install db x --set auth.password=S3cret", "helm install db x --set auth.password=***"},
		{"helm install db x --set image.tag=16,auth.password=S3\\,cret,size=8Gi", "helm install db x --set image.tag=16,auth.password=***,size=8Gi"},
		{"helm install db x --set=auth.rootPassword=S3cret", "helm install db x --set=auth.rootPassword=***"},
		// aws configure set, npm config set.
		{"aws configure set aws_secret_access_key S3cret", "aws configure set aws_secret_access_key ***"},
		{"aws configure set default.aws_session_token T --profile p", "aws configure set default.aws_session_token *** --profile p"},
		{"npm config set //registry.npmjs.org/:_authToken T", "npm config set //registry.npmjs.org/:_authToken ***"},

		// Nothing to mask.
		{`curl -d {"user":"bob","password_hint":"x","token_type":"bearer"} https://h/`, `curl -d {"user":"bob","password_hint":"x","token_type":"bearer"} https://h/`},
		{`kubectl patch deploy x -p {"spec":{"secret":{"secretName":"db"}}}`, `kubectl patch deploy x -p {"spec":{"secret":{"secretName":"db"}}}`},
		{`sh -c curl -d "{\"token\":\"$TOKEN\"}" -d {"password":""} h/`, `sh -c curl -d "{\"token\":\"$TOKEN\"}" -d {"password":""} h/`},
		{`sh -c grep "password": config.yaml`, `sh -c grep "password": config.yaml`},
		{"kubectl get secret db -o jsonpath={.data.password}", "kubectl get secret db -o jsonpath={.data.password}"},
		{"curl -d x=1&page=2&tokens=3 https://h/", "curl -d x=1&page=2&tokens=3 https://h/"},
		{"docker run -e DB_PASSWORD_FILE=/run/secrets/db --env=PATH=/bin -e 'PGPASSWORD=$PW' img", "docker run -e DB_PASSWORD_FILE=/run/secrets/db --env=PATH=/bin -e 'PGPASSWORD=$PW' img"},
		{"helm install db x --set image.tag=16,replicas=2 --set auth.password=${PW}", "helm install db x --set image.tag=16,replicas=2 --set auth.password=${PW}"},
		{"aws configure set region eu-west-1 && aws configure get aws_secret_access_key", "aws configure set region eu-west-1 && aws configure get aws_secret_access_key"},
		{"aws configure set aws_access_key_id AKIA1", "aws configure set aws_access_key_id AKIA1"},
		{"set token x", "set token x"},
		{"http -a bob: https://h/ name==value", "http -a bob: https://h/ name==value"},
		// A file the credential is read from is not the credential.
		{"kubectl create secret generic x --from-file=password=./pw.txt --from-literal=token=t", "kubectl create secret generic x --from-file=password=./pw.txt --from-literal=token=***"},
		{"curl -F password=@/run/pw -F token=</run/t -F api_key=k https://h/", "curl -F password=@/run/pw -F token=</run/t -F api_key=*** https://h/"},
	} {
		if got := CommandLine(tc.in); got != tc.want {
			t.Errorf("CommandLine(%q) =\n  %q, want\n  %q", tc.in, got, tc.want)
		}
	}
}
