//go:build !unix

package server

// noFollow is not available; the state dir must be the server's own.
const noFollow = 0
