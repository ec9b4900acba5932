//go:build !unix

package fsx

import "io/fs"

// Exposed is empty where file modes do not say who may write a directory.
func Exposed(_, _ string) string { return "" }

// OwnedByOther cannot be told without Unix file owners.
func OwnedByOther(fs.FileInfo) (int, bool) { return 0, false }

// ForeignOwner cannot be told without Unix file owners.
func ForeignOwner(fs.FileInfo, string, string, string) string { return "" }

// ExposedToOthers is empty where file modes do not say who may write a directory.
func ExposedToOthers(_, _ string) string { return "" }

// GroupMayWrite cannot be told without Unix file owners.
func GroupMayWrite(fs.FileInfo, string, string, string) string { return "" }

// SafeOwned is false where files have no Unix owners: none is refused.
func SafeOwned(string, int) bool { return false }

// SafeHint is empty where files have no Unix owners.
func SafeHint(string, int) string { return "" }
