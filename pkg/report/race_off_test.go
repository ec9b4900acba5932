//go:build !race

package report

// raceBuild says whether the tests run under the race detector, under
// which a sync.Pool drops some of what it is given.
const raceBuild = false
