package identity

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Hasher hashes and checks passwords in the formats Keystone writes (passlib's modular crypt
// strings), so a database migrated from Keystone keeps working.
type Hasher struct {
	Algorithm string // "bcrypt" or "pbkdf2_sha512"
	Rounds    int    // bcrypt cost or pbkdf2 iterations; 0 = the algorithm's default
}

// Default costs, as Keystone's [identity] password_hash_rounds leaves them.
const (
	defaultBcryptCost   = 12
	defaultPBKDF2Rounds = 60000
	bcryptMaxBytes      = 72 // bcrypt ignores the rest; passlib truncates the same way
)

// Hash returns the stored form of a password.
func (h Hasher) Hash(password string) (string, error) {
	switch h.Algorithm {
	case "", "bcrypt":
		cost := h.Rounds
		if cost == 0 {
			cost = defaultBcryptCost
		}
		b, err := bcrypt.GenerateFromPassword(truncate(password), cost)
		if err != nil {
			return "", fmt.Errorf("hash password: %w", err)
		}
		return string(b), nil
	case "pbkdf2_sha512":
		rounds := h.Rounds
		if rounds == 0 {
			rounds = defaultPBKDF2Rounds
		}
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return "", err
		}
		sum, err := pbkdf2.Key(sha512.New, password, salt, rounds, sha512.Size)
		if err != nil {
			return "", fmt.Errorf("hash password: %w", err)
		}
		return fmt.Sprintf("$pbkdf2-sha512$%d$%s$%s", rounds, ab64(salt), ab64(sum)), nil
	default:
		return "", fmt.Errorf("unsupported password_hash_algorithm %q", h.Algorithm)
	}
}

// Check reports whether password matches a stored hash of any supported format.
func Check(hash, password string) bool {
	switch {
	case strings.HasPrefix(hash, "$2"):
		return bcrypt.CompareHashAndPassword([]byte(hash), truncate(password)) == nil
	case strings.HasPrefix(hash, "$pbkdf2-sha512$"):
		return checkPBKDF2(hash, password)
	default:
		return false
	}
}

func checkPBKDF2(hash, password string) bool {
	parts := strings.Split(hash, "$") // "", "pbkdf2-sha512", rounds, salt, sum
	if len(parts) != 5 {
		return false
	}
	rounds, err := strconv.Atoi(parts[2])
	if err != nil || rounds <= 0 {
		return false
	}
	salt, err1 := unab64(parts[3])
	want, err2 := unab64(parts[4])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha512.New, password, salt, rounds, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

func truncate(password string) []byte {
	b := []byte(password)
	if len(b) > bcryptMaxBytes {
		b = b[:bcryptMaxBytes]
	}
	return b
}

// ab64 is passlib's "adapted base64": standard alphabet with '.' for '+', no padding.
func ab64(b []byte) string {
	return strings.ReplaceAll(base64.RawStdEncoding.EncodeToString(b), "+", ".")
}

func unab64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.ReplaceAll(s, ".", "+"))
}
