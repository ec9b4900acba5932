//go:build !unix

package fsx

const openFlags = 0

// noFollow is 0 where open has no O_NOFOLLOW: OpenOwn looks first instead.
const noFollow = 0
