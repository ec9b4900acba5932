//go:build !unix

package fsx

const openFlags = 0
