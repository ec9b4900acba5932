//go:build unix

package server

import (
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// A client of the API on the same host carries its key on its command
// line (curl -H "Authorization: Bearer $ARSENAL_API_KEY", as the docs call
// the API). A key that may list processes must not read it there: it
// would hold the roles of that key, an admin's say. Before, GET
// /api/v1/processes answered the command line whole, and a cmdline_regex
// on the key's letters found it out.
func TestProcessListingsHideAPIKeys(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.keys["admin"]
	mark := fmt.Sprintf("mark-%d", len(t.Name())*7919)
	cmd := exec.Command("/bin/sh", "-c", "sleep 300", "curl", "-s", "-H", "Authorization: Bearer "+admin,
		"-H", "X-Api-Key: "+admin, "-b", "arsenal_session=eyJ.session-"+mark, "http://127.0.0.1:8080/api/v1/runs?"+mark)
	// Its own process group, so that the sleep the shell forks ends with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })

	list := ts.get("viewer", "/api/v1/processes?cmdline_regex="+url.QueryEscape(mark)).want(t, 200)
	body := string(list.body)
	if strings.Contains(body, admin) || strings.Contains(body, admin[len(KeyPrefix):]) {
		t.Errorf("GET /api/v1/processes shows the admin's key to a viewer: %s", body)
	}
	if strings.Contains(body, "session-"+mark) {
		t.Errorf("GET /api/v1/processes shows a console session to a viewer: %s", body)
	}
	if !strings.Contains(body, "Authorization: Bearer ***") || !strings.Contains(body, "X-Api-Key: ***") {
		t.Errorf("GET /api/v1/processes: %s, want the command line with its credentials masked", body)
	}
	info := ts.get("viewer", fmt.Sprintf("/api/v1/processes/%d", cmd.Process.Pid)).want(t, 200)
	if strings.Contains(string(info.body), admin[len(KeyPrefix):]) {
		t.Errorf("GET /api/v1/processes/{pid} shows the admin's key to a viewer: %s", info.body)
	}
	// Nor can a pattern over the key find it out, letter by letter.
	probe := ts.get("viewer", "/api/v1/processes?cmdline_regex="+url.QueryEscape("Bearer "+admin[:len(KeyPrefix)+4]+".*"+mark)).want(t, 200).json(t)
	if probe["count"] != float64(0) {
		t.Errorf("a cmdline_regex over the key's first letters matched: %v", probe["processes"])
	}
}
