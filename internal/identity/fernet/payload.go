package fernet

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Payload is what a token carries. A decoded payload has its times in UTC
// and nil (not empty) Methods and AuditIDs when there are none.
type Payload struct {
	UserID string
	// Methods are the authentication methods ("password", "token",
	// "application_credential", "totp", "mapped" …). Decoded tokens list
	// them without duplicates, the well-known ones first in a fixed order
	// (password, token, application_credential, totp, mapped, external,
	// oauth1, kerberos, openid, saml2), then the others in their original
	// order.
	Methods []string
	// At most one of ProjectID, DomainID and System is set; none means an
	// unscoped token.
	ProjectID string
	DomainID  string
	System    bool
	// AppCredID is the application credential the token was issued for.
	AppCredID string
	IssuedAt  time.Time // microsecond precision, UTC
	ExpiresAt time.Time // microsecond precision, UTC
	// AuditIDs are [own audit id] or [own, parent's] for tokens obtained
	// with the token method; each is 22 characters (see NewAuditID).
	AuditIDs []string
}

// knownMethods are the authentication methods stored as one bit each in a
// token; other method names are stored as strings. The order is part of
// the token format: append only, never reorder.
var knownMethods = []string{
	"password", "token", "application_credential", "totp", "mapped",
	"external", "oauth1", "kerberos", "openid", "saml2",
}

// payloadVersion is the first byte of every encoded payload.
const payloadVersion byte = 1

// Bits of the flags byte.
const (
	scopeMask        byte = 0x03 // scope kind, below
	flagAppCred      byte = 0x04 // an application credential id follows
	flagOtherMethods byte = 0x08 // method names outside knownMethods follow
	knownFlags            = scopeMask | flagAppCred | flagOtherMethods
)

// Scope kinds, in the low bits of the flags byte.
const (
	scopeNone byte = iota
	scopeProject
	scopeDomain
	scopeSystem
)

// String tags. A string is one uvarint tag, then 16 packed bytes for the
// first three tags, or tag-tagString bytes of text.
const (
	tagHexUUID    = 0 // 32 lowercase hex digits
	tagDashedUUID = 1 // canonical lowercase 8-4-4-4-12 UUID
	tagAuditID    = 2 // 22 chars of unpadded url-safe base64 of 16 bytes
	tagString     = 3 // tag 3+n: n bytes of text
)

// Times are stored as microseconds since the Unix epoch and must lie in
// years 1 to 9999, which keeps every sum and difference inside int64.
const (
	minMicros int64 = -62135596800_000000     // 0001-01-01T00:00:00Z
	maxMicros int64 = 253402300800_000000 - 1 // 9999-12-31T23:59:59.999999Z
)

// errMalformed is wrapped into ErrInvalid by the codec.
var errMalformed = errors.New("malformed payload")

// marshalPayload encodes p in the compact binary form, version 1:
//
//	version byte, flags byte,
//	user id, methods bitmask (uvarint),
//	[count + other method names], [scope id], [application credential id],
//	issued at (varint µs), expires at − issued at (varint µs),
//	audit id count, audit ids.
func marshalPayload(p Payload) ([]byte, error) {
	flags, err := scopeFlags(p)
	if err != nil {
		return nil, err
	}
	if p.UserID == "" {
		return nil, errors.New("fernet: payload has no user id")
	}
	mask, others, err := methodBits(p.Methods)
	if err != nil {
		return nil, err
	}
	if !inYearRange(p.IssuedAt) || !inYearRange(p.ExpiresAt) {
		return nil, errors.New("fernet: payload time outside years 1 to 9999")
	}
	issued, expires := p.IssuedAt.UnixMicro(), p.ExpiresAt.UnixMicro()
	if p.AppCredID != "" {
		flags |= flagAppCred
	}
	if len(others) > 0 {
		flags |= flagOtherMethods
	}

	b := make([]byte, 0, 96)
	b = append(b, payloadVersion, flags)
	b = appendString(b, p.UserID)
	b = binary.AppendUvarint(b, mask)
	if len(others) > 0 {
		b = binary.AppendUvarint(b, uint64(len(others)))
		for _, m := range others {
			b = appendString(b, m)
		}
	}
	switch flags & scopeMask {
	case scopeProject:
		b = appendString(b, p.ProjectID)
	case scopeDomain:
		b = appendString(b, p.DomainID)
	}
	if p.AppCredID != "" {
		b = appendString(b, p.AppCredID)
	}
	b = binary.AppendVarint(b, issued)
	b = binary.AppendVarint(b, expires-issued)
	b = binary.AppendUvarint(b, uint64(len(p.AuditIDs)))
	for _, id := range p.AuditIDs {
		b = appendString(b, id)
	}
	return b, nil
}

// scopeFlags returns the scope kind of p, refusing more than one scope.
func scopeFlags(p Payload) (byte, error) {
	kind, n := scopeNone, 0
	if p.ProjectID != "" {
		kind, n = scopeProject, n+1
	}
	if p.DomainID != "" {
		kind, n = scopeDomain, n+1
	}
	if p.System {
		kind, n = scopeSystem, n+1
	}
	if n > 1 {
		return 0, errors.New("fernet: payload has more than one scope")
	}
	return kind, nil
}

// methodBits splits methods into a bitmask of known methods and the
// remaining names, dropping duplicates.
func methodBits(methods []string) (uint64, []string, error) {
	var mask uint64
	var others []string
	for _, m := range methods {
		if m == "" {
			return 0, nil, errors.New("fernet: payload has an empty method name")
		}
		if i := slices.Index(knownMethods, m); i >= 0 {
			mask |= 1 << i
		} else if !slices.Contains(others, m) {
			others = append(others, m)
		}
	}
	return mask, others, nil
}

// inYearRange checks t before UnixMicro, which wraps silently far outside.
func inYearRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

func inRange(us int64) bool { return us >= minMicros && us <= maxMicros }

// appendString appends s with the most compact tag that represents it.
func appendString(b []byte, s string) []byte {
	switch {
	case isHexUUID(s):
		return appendHex(append(b, tagHexUUID), s)
	case isDashedUUID(s):
		return appendHex(append(b, tagDashedUUID), s[0:8]+s[9:13]+s[14:18]+s[19:23]+s[24:36])
	case isAuditID(s):
		b = append(b, tagAuditID)
		raw, _ := base64.RawURLEncoding.Strict().DecodeString(s)
		return append(b, raw...)
	}
	b = binary.AppendUvarint(b, uint64(len(s))+tagString)
	return append(b, s...)
}

// appendHex appends the bytes of s, already checked to be lowercase hex.
func appendHex(b []byte, s string) []byte {
	b, _ = hex.AppendDecode(b, []byte(s))
	return b
}

func isHexUUID(s string) bool {
	return len(s) == 32 && isLowerHex(s)
}

func isDashedUUID(s string) bool {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return false
	}
	return isLowerHex(s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36])
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isAuditID reports whether s is the canonical unpadded url-safe base64 of
// 16 bytes, so that packing it round-trips exactly.
func isAuditID(s string) bool {
	if len(s) != 22 {
		return false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(raw) == 16
}

// unmarshalPayload decodes b, rejecting anything marshalPayload would not
// have produced: wrong version, unknown flags or method bits, truncated
// input, trailing bytes, out-of-range times.
func unmarshalPayload(b []byte) (Payload, error) {
	d := decoder{b: b}
	var p Payload
	if v := d.byte(); d.err == nil && v != payloadVersion {
		return Payload{}, fmt.Errorf("%w: unknown version %d", errMalformed, v)
	}
	flags := d.byte()
	if flags&^knownFlags != 0 {
		return Payload{}, fmt.Errorf("%w: unknown flags %#x", errMalformed, flags)
	}
	p.UserID = d.nonEmptyString()
	p.Methods = d.methods(flags&flagOtherMethods != 0)
	switch flags & scopeMask {
	case scopeProject:
		p.ProjectID = d.nonEmptyString()
	case scopeDomain:
		p.DomainID = d.nonEmptyString()
	case scopeSystem:
		p.System = true
	}
	if flags&flagAppCred != 0 {
		p.AppCredID = d.nonEmptyString()
	}
	p.IssuedAt, p.ExpiresAt = d.times()
	if n := d.count(); n > 0 {
		p.AuditIDs = make([]string, n)
		for i := range p.AuditIDs {
			p.AuditIDs[i] = d.string()
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return Payload{}, d.err
	}
	return p, nil
}

// decoder reads the binary payload; the first error sticks and every later
// read returns a zero value.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{errMalformed}, args...)...)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a list length; every element takes at least one byte, so a
// count above the bytes left is malformed (and never allocated).
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count %d exceeds input", n)
		return 0
	}
	return int(n)
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	switch tag := d.uvarint(); tag {
	case tagHexUUID:
		return hex.EncodeToString(d.take(16))
	case tagDashedUUID:
		h := hex.EncodeToString(d.take(16))
		if d.err != nil {
			return ""
		}
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	case tagAuditID:
		raw := d.take(16)
		if d.err != nil {
			return ""
		}
		return base64.RawURLEncoding.EncodeToString(raw)
	default:
		return string(d.take(tag - tagString))
	}
}

func (d *decoder) nonEmptyString() string {
	s := d.string()
	if d.err == nil && s == "" {
		d.fail("empty id")
	}
	return s
}

// methods reads the bitmask and, when present, the other method names.
func (d *decoder) methods(hasOthers bool) []string {
	mask := d.uvarint()
	if mask>>len(knownMethods) != 0 {
		d.fail("unknown method bits %#x", mask)
		return nil
	}
	var methods []string
	for i, m := range knownMethods {
		if mask&(1<<i) != 0 {
			methods = append(methods, m)
		}
	}
	if !hasOthers {
		return methods
	}
	n := d.count()
	if d.err == nil && n == 0 {
		d.fail("empty method list")
	}
	for range n {
		m := d.nonEmptyString()
		if d.err == nil && (slices.Contains(knownMethods, m) || slices.Contains(methods, m)) {
			d.fail("repeated method %q", m)
		}
		methods = append(methods, m)
	}
	return methods
}

// times reads issued-at and the expiry offset and checks both are in range.
func (d *decoder) times() (issued, expires time.Time) {
	is := d.varint()
	delta := d.varint()
	if d.err != nil {
		return time.Time{}, time.Time{}
	}
	// With is in range, bounding delta first keeps is+delta from overflowing.
	const span = maxMicros - minMicros
	if !inRange(is) || delta > span || delta < -span || !inRange(is+delta) {
		d.fail("time out of range")
		return time.Time{}, time.Time{}
	}
	return time.UnixMicro(is).UTC(), time.UnixMicro(is + delta).UTC()
}
