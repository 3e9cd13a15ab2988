package fernet

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid reports a token that does not decrypt with any key of the
// repository or whose payload is malformed. Errors wrap it; test with
// errors.Is.
var ErrInvalid = errors.New("fernet: invalid token")

// maxTokenLen bounds the tokens Decode looks at; gostack's tokens are under
// 255 characters, and even ones full of long non-UUID ids stay far below.
const maxTokenLen = 8192

// NewAuditID returns a new audit id: 16 random bytes as url-safe base64
// without padding (22 characters), like Keystone's.
func NewAuditID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Codec turns payloads into tokens and back.
type Codec struct {
	repo *Repository
}

// NewCodec returns a codec that encrypts with r's primary key and decrypts
// with any of its keys.
func NewCodec(r *Repository) *Codec {
	return &Codec{repo: r}
}

// Encode packs p into a token: the compact binary payload, Fernet-encrypted
// with the primary key, without base64 '=' padding (as Keystone's tokens).
func (c *Codec) Encode(p Payload) (string, error) {
	b, err := marshalPayload(p)
	if err != nil {
		return "", err
	}
	tok, err := c.repo.Encrypt(b)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(tok, "="), nil
}

// Decode unpacks a token made by Encode. Any token that does not decrypt or
// whose payload is malformed is ErrInvalid; a failure to load the keys is
// returned as such. Decode does NOT check expiry: the caller does, since
// allow_expired exists.
func (c *Codec) Decode(token string) (Payload, error) {
	if len(token) > maxTokenLen {
		return Payload{}, fmt.Errorf("%w: too long", ErrInvalid)
	}
	b, err := c.repo.Decrypt(token)
	if err != nil {
		return Payload{}, err
	}
	p, err := unmarshalPayload(b)
	if err != nil {
		return Payload{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, nil
}
