package ring

import (
	"crypto/md5"
	"encoding/binary"
	"errors"
	"strings"
)

// HashPath returns Swift's hash of an account, container or object path:
// md5(prefix + "/" + account[/container[/object]] + suffix), where prefix
// and suffix are swift.conf's swift_hash_path_prefix and
// swift_hash_path_suffix. Empty container and object are left out.
func HashPath(prefix, suffix, account, container, object string) [md5.Size]byte {
	var sb strings.Builder
	sb.Grow(len(prefix) + len(account) + len(container) + len(object) + len(suffix) + 3)
	sb.WriteString(prefix)
	sb.WriteByte('/')
	sb.WriteString(account)
	if container != "" {
		sb.WriteByte('/')
		sb.WriteString(container)
	}
	if object != "" {
		sb.WriteByte('/')
		sb.WriteString(object)
	}
	sb.WriteString(suffix)
	return md5.Sum([]byte(sb.String()))
}

// ValidatePath checks that a path names an account, a container in an
// account or an object in a container, as Swift requires.
func ValidatePath(account, container, object string) error {
	switch {
	case account == "":
		return errors.New("path: account is required")
	case object != "" && container == "":
		return errors.New("path: an object requires a container")
	}
	return nil
}

// partitionOf returns the top partPower bits of a path hash.
func partitionOf(sum [md5.Size]byte, partPower int) uint32 {
	return uint32(uint64(binary.BigEndian.Uint32(sum[:4])) >> (32 - partPower))
}
