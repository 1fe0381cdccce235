package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// newSecret returns 32 random bytes, URL-safe encoded, with prefix.
func newSecret(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what the database keeps of a session id or an API token.
// The secrets are 256-bit random, so a fast hash is enough.
func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
