// Package chaintoken is the permission to invoke an operation. Only code
// of this module can import it, and only a token made by New is valid, so
// an operation can be reached only through the engine's call chain
// (authorization, timeouts, retries, masking, audit, the panic guard):
// code outside the module has no way to call an operation bare.
package chaintoken

// Token is the permission to invoke an operation. Its zero value is not
// valid.
type Token struct{ ok bool }

// New returns a valid token. The engine's chain takes one; tests of
// operations take one to call an operation directly.
func New() Token { return Token{ok: true} }

// Valid reports whether the token was made by New.
func (t Token) Valid() bool { return t.ok }
