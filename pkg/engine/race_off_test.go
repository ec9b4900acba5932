//go:build !race

package engine

// raceBuild says whether the tests run under the race detector, whose
// instrumentation moves some values to the heap.
const raceBuild = false
