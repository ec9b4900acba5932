package inventory

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestNearerGroupVarsWin checks which group's var a host gets when several
// of its groups set it: the group nearer the host wins, counted from the
// host up, whatever else the file holds; of groups as near, the one nested
// deeper in groups of groups, then the one whose name sorts last.
func TestNearerGroupVarsWin(t *testing.T) {
	cases := []struct {
		name, groups, want string
	}{
		{"a group listing the host beats one holding it through another", `
  zone: {members: [h], vars: {v: zone}}
  rack: [h]
  dc: {members: [rack], vars: {v: dc}}`, "zone"},
		{"the same, whichever name sorts last", `
  apps: {members: [h], vars: {v: apps}}
  rack: [h]
  zone: {members: [rack], vars: {v: zone}}`, "apps"},
		{"a group beats the group holding it, both listing the host", `
  outer: {members: [h, inner], vars: {v: outer}}
  inner: {members: [h], vars: {v: inner}}`, "inner"},
		{"a group listing the host beats a deeper one holding it through another", `
  top: {members: [mid]}
  mid: {members: [sub]}
  sub: {members: [rack], vars: {v: sub}}
  rack: [h]
  web: {members: [h], vars: {v: web}}`, "web"},
		{"groups as near: the one nested deeper", `
  top: {members: [mid]}
  mid: {members: [b]}
  b: {members: [h], vars: {v: b}}
  z: {members: [h], vars: {v: z}}`, "b"},
		{"groups as near: the name sorting last", `
  b: {members: [h], vars: {v: b}}
  a: {members: [h], vars: {v: a}}`, "b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := Parse("inventory.yaml", []byte("version: 1\nhosts:\n  h: {address: 10.0.0.1, vars: {own: x}}\ngroups:"+c.groups+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			h, _ := inv.Host("h")
			if got := h.Vars["v"]; got != c.want {
				t.Errorf("v = %v, want the var of group %s", got, c.want)
			}
		})
	}
}

// TestGroupsMeetingAgainLoad checks that groups of groups that meet again,
// layer after layer (each of two groups holding the same two groups of
// the next layer), load: each group is walked once per expansion, not once
// per path to it, of which there are 2^50 here.
func TestGroupsMeetingAgainLoad(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nhosts:\n  h: {address: 10.0.0.1}\ngroups:\n")
	const layers = 50
	for i := range layers {
		next := fmt.Sprintf("[a%d, b%d]", i+1, i+1)
		if i == layers-1 {
			next = "[h]"
		}
		fmt.Fprintf(&b, "  a%d: {members: %s, vars: {v: a%d}}\n  b%d: %s\n", i, next, i, i, next)
	}
	done := make(chan error, 1)
	var inv *Inventory
	go func() {
		var err error
		inv, err = Parse("inventory.yaml", []byte(b.String()))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("loading 50 layers of groups that meet again did not end within a minute")
	}
	hosts, err := inv.Hosts("a0")
	if err != nil || len(hosts) != 1 {
		t.Errorf("group a0: %v %v; want host h", names(hosts), err)
	}
	h, _ := inv.Host("h")
	if h.Vars["v"] != fmt.Sprintf("a%d", layers-1) || len(h.Groups) != 2*layers {
		t.Errorf("h: vars %v, %d groups; want v from a%d, the group listing it, and all %d groups", h.Vars, len(h.Groups), layers-1, 2*layers)
	}
}
