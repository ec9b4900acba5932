package queue

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/arsenal-run/arsenal-run/pkg/store/postgres"
)

// A queued run's inputs may hold secrets, and its job row lives in the
// database until the run ends. They are kept there sealed (AES-256-GCM)
// with a key every replica shares, kept in the database's settings like
// the report key: a dump of the job table, a log of its statements or a
// replica of the database shows no input in clear.

// sealer seals and opens the inputs of queued runs.
type sealer struct{ aead cipher.AEAD }

func newSealer(ctx context.Context, st *postgres.Store) (*sealer, error) {
	key, err := st.QueueKey(ctx)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("queue key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("queue key: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal moves a.Inputs into a.Sealed.
func (s *sealer) seal(a *RunArgs) error {
	if a.Inputs == nil {
		return nil
	}
	plain, err := json.Marshal(a.Inputs)
	if err != nil {
		return fmt.Errorf("queue: inputs: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	a.Sealed, a.Inputs = s.aead.Seal(nonce, nonce, plain, []byte(Kind)), nil
	return nil
}

// open moves a.Sealed back into a.Inputs.
func (s *sealer) open(a *RunArgs) error {
	if len(a.Sealed) == 0 {
		return nil
	}
	n := s.aead.NonceSize()
	if len(a.Sealed) < n {
		return errors.New("queue: the run's sealed inputs are cut short")
	}
	plain, err := s.aead.Open(nil, a.Sealed[:n], a.Sealed[n:], []byte(Kind))
	if err != nil {
		return errors.New("queue: the run's sealed inputs do not open with this database's queue key; they were changed, or sealed for another database")
	}
	var in map[string]any
	if err := json.Unmarshal(plain, &in); err != nil {
		return fmt.Errorf("queue: the run's inputs: %w", err)
	}
	a.Inputs, a.Sealed = in, nil
	return nil
}
