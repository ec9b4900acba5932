package remote

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestWrongUserIsNamed: sshd refuses every key of a user it does not
// have as it refuses a wrong key, and the error sent the reader to the
// keys alone; it names the user and where the name was set.
func TestWrongUserIsNamed(t *testing.T) {
	srv := startServer(t, serverOpts{})
	inv := parseInventory(t, fmt.Sprintf("version: 1\nhosts:\n  box: {address: 127.0.0.1, port: %d, user: nobodyhere, identity_file: %s}\n", srv.Port, srv.UserKey))
	_, err := execute(t, context.Background(), newPool(t, srv.settings(inv)), "ssh.exec", map[string]any{"host": "box", "command": []any{"true"}})
	var le *loginError
	want := "the server accepted none of the keys offered; check that nobodyhere is the account to log in as (user: of box in the inventory (test-inventory.yaml:3), or of its defaults), then identity_file"
	if !errors.As(err, &le) || !strings.Contains(err.Error(), want) {
		t.Errorf("error: %v\nwant %q", err, want)
	}

	inv = parseInventory(t, "version: 1\nhosts:\n  box: {address: 127.0.0.1}\n")
	box := mustHost(t, inv, "box")
	direct, err := inv.Resolve("bob@127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	local, err := inv.Resolve("127.0.0.1:2222")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ got, want string }{
		{userOrigin(box, inv), "your local user name: neither box (test-inventory.yaml:3) nor the inventory's defaults set user:"},
		{userOrigin(direct, inv), "written in host:, or the inventory's defaults when host: names none"},
		{userOrigin(local, inv), "your local user name; write user@address in host: for another"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q\nwant %q", tc.got, tc.want)
		}
	}
}
