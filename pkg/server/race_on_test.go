//go:build race

package server

// raceBuild says whether the tests run under the race detector, which
// drops some of what a sync.Pool is given, so that more is made again.
const raceBuild = true
