package cache_test

import (
	"context"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/arsenal-run/arsenal-run/pkg/history"
)

// TestListNamesItemsByLabel: an entry a fan-out's item wrote names the
// item as the run's summary, history show and the report do, by its label
// when it has one ("hosts[web-1]"), by its index when it has none.
func TestListNamesItemsByLabel(t *testing.T) {
	f := newFixture(t, `version: 1
name: pb
steps:
  - id: hosts
    op: test.echo
    foreach: [web-1, web-2]
    with: {x: "${{ item }}"}
    cache: {ttl: 1h}
  - id: nums
    op: test.echo
    foreach: '[1, 2]'
    with: {x: "${{ item }}"}
    cache: {ttl: 1h}
`)
	f.run(nil)
	list, err := f.store.CacheList(context.Background(), history.CacheFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Step)
	}
	sort.Strings(got)
	want := []string{"hosts[web-1]", "hosts[web-2]", "nums[0]", "nums[1]"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cache list's steps (-want +got):\n%s", diff)
	}
}
