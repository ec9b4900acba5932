package steps

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/arsenal-run/arsenal-run/pkg/inventory"
)

// TestInventoryDataBuildsWhatIsAsked checks that the run's inventory data
// holds no selection until one is asked for: hosts in a chain of 200
// groups of groups belong to each, and building every group's hosts at the
// start, each with its 200 groups, cost gigabytes at the inventory's
// limits for a playbook reading one group. What is asked for is built once
// and shared by evaluations running at once.
func TestInventoryDataBuildsWhatIsAsked(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nhosts:\n")
	for i := range 50 {
		fmt.Fprintf(&b, "  h%d: {address: 10.0.0.%d}\n", i, i+1)
	}
	b.WriteString("groups:\n")
	const chain = 200
	for i := range chain - 1 {
		fmt.Fprintf(&b, "  g%d: [g%d]\n", i, i+1)
	}
	fmt.Fprintf(&b, "  g%d: [%s]\n  empty: []\n", chain-1, strings.Join(hostNames(50), ", "))
	inv, err := inventory.Parse("big.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(2, func() { InventoryData(inv) }); allocs > 10 {
		t.Errorf("InventoryData made %.0f allocations before any selection was asked for; want a few", allocs)
	}
	data := InventoryData(inv)
	got := make([]any, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hosts, err := inventoryHosts(data, "g0")
			if err != nil {
				t.Error(err)
			}
			got[i] = hosts
		}()
	}
	wg.Wait()
	hosts, _ := got[0].([]any)
	if len(hosts) != 50 {
		t.Fatalf("inventory.hosts(\"g0\") gave %d hosts, want 50", len(hosts))
	}
	if groups := hosts[0].(map[string]any)["groups"].([]any); len(groups) != chain {
		t.Errorf("h0 is in %d groups, want %d", len(groups), chain)
	}
	for _, g := range got[1:] {
		if h, _ := g.([]any); len(h) != len(hosts) || &h[0] != &hosts[0] {
			t.Errorf("a second inventory.hosts(\"g0\") built the selection again")
		}
	}
	// What the inventory says of a name it cannot select.
	for name, want := range map[string]string{
		"g-0":     `inventory.hosts: inventory big.yaml has no group or host "g-0" (did you mean "g0"?)`,
		"empty":   `inventory.hosts: group "empty" (big.yaml:`,
		"tag:web": `inventory.hosts: inventory big.yaml: no host has the tag "web"`,
	} {
		if _, err := inventoryHosts(data, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("inventory.hosts(%q): %v, want %s", name, err, want)
		}
	}
}

func hostNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("h%d", i)
	}
	return out
}
