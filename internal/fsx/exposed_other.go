//go:build !unix

package fsx

// Exposed is empty where file modes do not say who may write a directory.
func Exposed(_, _ string) string { return "" }
