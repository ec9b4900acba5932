package exprsafe

import (
	"context"
	"errors"
)

// The decoder's reason a text is not JSON quotes the character where it
// stopped reading ("invalid character 'L' looking for beginning of
// value"): a hint for a plain text, but one character of a secret's, which
// masking, that hides the secret whole, leaves shown.

type secretsKey struct{}

// SecretHolder tells whether a text holds a secret.
type SecretHolder interface {
	HoldsSecret(s string) bool
}

// WithSecrets returns ctx, under which an evaluation given it (as
// ContextVar) asks h whether a text fromJSON cannot read holds a
// secret; it then says so rather than quote the text.
func WithSecrets(ctx context.Context, h SecretHolder) context.Context {
	return context.WithValue(ctx, secretsKey{}, h)
}

// errSecretNotJSON is fromJSON's error for a text that holds a secret:
// the words of parseProblem's reason, after "json: ".
var errSecretNotJSON = errors.New("json: the text holds a secret, so the character where it stops being JSON is not shown")

// holdsSecret tells whether ctx says s holds a secret.
func holdsSecret(ctx context.Context, s string) bool {
	if ctx == nil {
		return false
	}
	h, _ := ctx.Value(secretsKey{}).(SecretHolder)
	return h != nil && h.HoldsSecret(s)
}
