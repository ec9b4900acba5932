package server

import (
	"crypto/sha256"
	"crypto/subtle"
)

// index makes what finding a key on each request takes: the keys by
// digest and by name, and for each key its print and the caller it
// authenticates as. It makes new maps, so a copy of k with other keys
// (a test's) indexes its own without touching k's.
func (k *Keys) index() {
	k.byDigest = make(map[[sha256.Size]byte]int32, len(k.keys))
	k.byName = make(map[string]int32, len(k.keys))
	for i := range k.keys {
		key := &k.keys[i]
		k.byDigest[key.digest] = int32(i)
		k.byName[key.name] = int32(i)
		key.print = keyPrint(key)
		key.caller = Principal{Name: key.name, Roles: key.roles, Via: "key", print: key.print}
	}
}

// maxStackKey is the longest key hashed without a copy on the heap; a
// key is 42 bytes.
const maxStackKey = 128

// lookup finds the key whose digest is key's SHA-256. The key's bytes
// are only hashed, which takes the same time for every key of a length;
// the digest then finds its entry in a map, and is compared with the
// entry's in constant time. What the map's time may tell a caller is of
// digests, never of keys: a key is 192 random bits, and its digest does
// not give it back. The map's hash is seeded afresh in each process, so
// even where a digest would land is not known outside. Comparing the
// digest with each of up to MaxKeys entries in turn took a millisecond
// a request (BenchmarkAuthenticateKey).
func (k *Keys) lookup(key string) *apiKey {
	var buf [maxStackKey]byte
	d := sha256.Sum256(append(buf[:0], key...))
	i, ok := k.byDigest[d]
	if !ok || int(i) >= len(k.keys) {
		return nil
	}
	found := &k.keys[i]
	if subtle.ConstantTimeCompare(d[:], found.digest[:]) != 1 {
		return nil
	}
	return found
}

// named finds the key called name, for a session signed in with it or a
// run its caller queued.
func (k *Keys) named(name string) *apiKey {
	i, ok := k.byName[name]
	if !ok || int(i) >= len(k.keys) || k.keys[i].name != name {
		return nil
	}
	return &k.keys[i]
}
