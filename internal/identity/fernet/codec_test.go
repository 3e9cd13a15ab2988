package fernet

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	hexID    = "0123456789abcdef0123456789abcdef"
	hexID2   = "fedcba9876543210fedcba9876543210"
	dashedID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)

var (
	issued  = time.Date(2025, 11, 22, 4, 16, 0, 123456000, time.UTC)
	expires = issued.Add(time.Hour)
	audit1  = "ZmFrZS1hdWRpdC1pZC0xMg"
	audit2  = "YW5vdGhlci1hdWRpdC0xMg"
)

func newTestCodec(t testing.TB) *Codec {
	t.Helper()
	return NewCodec(newTestRepo(t, 3))
}

func roundTrip(t *testing.T, c *Codec, p Payload) Payload {
	t.Helper()
	tok, err := c.Encode(p)
	if err != nil {
		t.Fatalf("Encode(%+v): %v", p, err)
	}
	if strings.Contains(tok, "=") {
		t.Errorf("token %q keeps base64 padding", tok)
	}
	got, err := c.Decode(tok)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return got
}

func TestPayloadRoundTripScopesAndMethods(t *testing.T) {
	c := newTestCodec(t)
	scopes := []struct {
		name string
		set  func(*Payload)
	}{
		{"unscoped", func(*Payload) {}},
		{"project", func(p *Payload) { p.ProjectID = hexID2 }},
		{"domain", func(p *Payload) { p.DomainID = "default" }},
		{"system", func(p *Payload) { p.System = true }},
		{"project with app cred", func(p *Payload) { p.ProjectID = hexID2; p.AppCredID = dashedID }},
	}
	// Method lists in canonical order: known methods in knownMethods order,
	// then the others as given.
	methodSets := [][]string{
		nil,
		{"password"},
		{"token"},
		{"password", "token"},
		{"password", "totp"},
		{"application_credential"},
		{"mapped", "saml2"},
		{"external"},
		knownMethods,
		{"x509"},
		{"password", "custom-one", "custom_two"},
	}
	auditSets := [][]string{nil, {audit1}, {audit1, audit2}}
	for _, sc := range scopes {
		for _, methods := range methodSets {
			for _, audits := range auditSets {
				p := Payload{UserID: hexID, Methods: methods, IssuedAt: issued, ExpiresAt: expires, AuditIDs: audits}
				sc.set(&p)
				if got := roundTrip(t, c, p); !reflect.DeepEqual(got, p) {
					t.Errorf("%s %v %v: round trip\n got %+v\nwant %+v", sc.name, methods, audits, got, p)
				}
			}
		}
	}
}

func TestPayloadRoundTripIDs(t *testing.T) {
	c := newTestCodec(t)
	ids := []string{
		hexID,
		dashedID,
		"default",                          // the default domain
		"admin",                            // a name-like id
		"0123456789ABCDEF0123456789ABCDEF", // uppercase hex is kept as text
		"0123456789abcdef0123456789abcde",  // 31 hex digits
		"0123456789abcdef0123456789abcdeg", // 32 chars, not hex
		"0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0",
		"0f1e2d3c04b5a-6978-8796-a5b4c3d2e1f0",
		strings.Repeat("ab", 32), // 64-hex federated/LDAP-style id
		"cn=Bob Smith,ou=users,dc=example,dc=org",
		"ünïcødé-ユーザー",
		audit1,                   // looks like an audit id
		"ZmFrZS1hdWRpdC1pZC0xMh", // 22 base64 chars with non-zero trailing bits
		strings.Repeat("x", 300), // long enough for a two-byte length
	}
	for _, id := range ids {
		p := Payload{
			UserID: id, Methods: []string{"password"}, ProjectID: id, AppCredID: id,
			IssuedAt: issued, ExpiresAt: expires, AuditIDs: []string{id, "short"},
		}
		if got := roundTrip(t, c, p); !reflect.DeepEqual(got, p) {
			t.Errorf("id %q: round trip\n got %+v\nwant %+v", id, got, p)
		}
	}
}

func TestPayloadMethodNormalization(t *testing.T) {
	c := newTestCodec(t)
	p := Payload{
		UserID: hexID, IssuedAt: issued, ExpiresAt: expires,
		Methods: []string{"custom", "totp", "password", "totp", "custom", "other"},
	}
	got := roundTrip(t, c, p)
	want := []string{"password", "totp", "custom", "other"}
	if !reflect.DeepEqual(got.Methods, want) {
		t.Errorf("methods %v, want %v", got.Methods, want)
	}
}

func TestPayloadTimes(t *testing.T) {
	c := newTestCodec(t)
	est := time.FixedZone("EST", -5*3600)
	tests := []struct {
		name                    string
		issued, expires         time.Time
		wantIssued, wantExpires time.Time
	}{
		{"microseconds kept", issued, expires, issued, expires},
		{"nanoseconds truncated",
			issued.Add(789 * time.Nanosecond), expires.Add(999 * time.Nanosecond), issued, expires},
		{"other zone becomes UTC",
			issued.In(est), expires.In(est), issued, expires},
		{"zero times", time.Time{}, time.Time{}, time.Time{}, time.Time{}},
		{"expiry before issue", expires, issued, expires, issued},
		{"extremes",
			time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
			time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := roundTrip(t, c, Payload{UserID: hexID, IssuedAt: tt.issued, ExpiresAt: tt.expires})
			if got.IssuedAt != tt.wantIssued || got.ExpiresAt != tt.wantExpires {
				t.Errorf("times %v, %v; want %v, %v", got.IssuedAt, got.ExpiresAt, tt.wantIssued, tt.wantExpires)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	c := newTestCodec(t)
	ok := Payload{UserID: hexID, IssuedAt: issued, ExpiresAt: expires}
	tests := []struct {
		name   string
		change func(*Payload)
	}{
		{"no user", func(p *Payload) { p.UserID = "" }},
		{"project and domain", func(p *Payload) { p.ProjectID, p.DomainID = hexID, hexID2 }},
		{"project and system", func(p *Payload) { p.ProjectID, p.System = hexID, true }},
		{"domain and system", func(p *Payload) { p.DomainID, p.System = hexID, true }},
		{"empty method", func(p *Payload) { p.Methods = []string{"password", ""} }},
		{"year 10000", func(p *Payload) { p.ExpiresAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"far future", func(p *Payload) { p.ExpiresAt = time.Date(300000000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"year 0", func(p *Payload) { p.IssuedAt = time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok
			tt.change(&p)
			if tok, err := c.Encode(p); err == nil {
				t.Errorf("Encode(%+v) = %q, want an error", p, tok)
			}
		})
	}
}

func TestTokenLength(t *testing.T) {
	c := newTestCodec(t)
	for _, ttl := range []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour} {
		p := Payload{
			UserID: hexID, Methods: []string{"password"}, ProjectID: hexID2,
			IssuedAt: issued, ExpiresAt: issued.Add(ttl), AuditIDs: []string{NewAuditID(), NewAuditID()},
		}
		tok, err := c.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) >= 255 {
			t.Errorf("ttl %v: token is %d chars, want < 255", ttl, len(tok))
		}
		t.Logf("ttl %v: project-scoped password token with two audit ids: %d chars", ttl, len(tok))
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	c := newTestCodec(t)
	good, err := c.Encode(Payload{UserID: hexID, Methods: []string{"password"}, ProjectID: hexID2,
		IssuedAt: issued, ExpiresAt: expires, AuditIDs: []string{audit1}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := newTestCodec(t).Encode(Payload{UserID: hexID, IssuedAt: issued, ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(good)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{
		"empty":              "",
		"one char":           "g",
		"padding only":       "====",
		"not base64":         "gAAAAA!!!" + good[9:],
		"uuid token":         hexID,
		"other key":          foreign,
		"truncated":          good[:len(good)-4],
		"truncated to block": base64.RawURLEncoding.EncodeToString(raw[:len(raw)-16]),
		"header only":        base64.RawURLEncoding.EncodeToString(raw[:25]),
		"hmac only":          base64.RawURLEncoding.EncodeToString(raw[len(raw)-32:]),
		"extended":           good + "AAAA",
		"extra block":        base64.RawURLEncoding.EncodeToString(append(append([]byte{}, raw...), make([]byte, 16)...)),
		"too long":           strings.Repeat("A", maxTokenLen+4),
		"wrong version":      base64.RawURLEncoding.EncodeToString(append([]byte{0x81}, raw[1:]...)),
	}
	// Flip one bit in every byte of the binary token in turn.
	for i := range raw {
		b := append([]byte{}, raw...)
		b[i] ^= 0x01
		tokens["tampered byte "+string(rune('0'+i/100))+string(rune('0'+i/10%10))+string(rune('0'+i%10))] =
			base64.RawURLEncoding.EncodeToString(b)
	}
	for name, tok := range tokens {
		if p, err := c.Decode(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Decode = %+v, %v; want ErrInvalid", name, p, err)
		}
	}
}

func TestDecodeRejectsMalformedPayloads(t *testing.T) {
	c := newTestCodec(t)
	valid, err := marshalPayload(Payload{UserID: hexID, Methods: []string{"password", "custom"},
		ProjectID: hexID2, AppCredID: "app", IssuedAt: issued, ExpiresAt: expires, AuditIDs: []string{audit1, audit2}})
	if err != nil {
		t.Fatal(err)
	}
	with := func(edit func(b []byte) []byte) []byte {
		return edit(append([]byte{}, valid...))
	}
	payloads := map[string][]byte{
		"empty":           {},
		"version 0":       with(func(b []byte) []byte { b[0] = 0; return b }),
		"version 2":       with(func(b []byte) []byte { b[0] = 2; return b }),
		"unknown flag":    with(func(b []byte) []byte { b[1] |= 0x10; return b }),
		"trailing byte":   with(func(b []byte) []byte { return append(b, 0) }),
		"unknown method":  {payloadVersion, 0, tagHexUUID, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x80, 0x10, 0, 0, 0},
		"no user":         {payloadVersion, 0, tagString, 1, 0, 0, 0},
		"empty project":   {payloadVersion, scopeProject, tagString + 1, 'u', 1, tagString, 0, 0, 0},
		"empty app cred":  {payloadVersion, flagAppCred, tagString + 1, 'u', 1, tagString, 0, 0, 0},
		"empty others":    {payloadVersion, flagOtherMethods, tagString + 1, 'u', 1, 0, 0, 0, 0},
		"known as other":  {payloadVersion, flagOtherMethods, tagString + 1, 'u', 0, 1, tagString + 5, 't', 'o', 'k', 'e', 'n', 0, 0, 0},
		"repeated other":  {payloadVersion, flagOtherMethods, tagString + 1, 'u', 0, 2, tagString + 1, 'x', tagString + 1, 'x', 0, 0, 0},
		"huge count":      {payloadVersion, 0, tagString + 1, 'u', 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge string":     {payloadVersion, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"varint overflow": {payloadVersion, 0, tagString + 1, 'u', 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"time too late":   {payloadVersion, 0, tagString + 1, 'u', 1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0},
		"expiry overflow": {payloadVersion, 0, tagString + 1, 'u', 1, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0},
	}
	for i := range len(valid) {
		payloads["truncated to "+string(rune('0'+i/10))+string(rune('0'+i%10))] = valid[:i]
	}
	for name, b := range payloads {
		if _, err := unmarshalPayload(b); !errors.Is(err, errMalformed) {
			t.Errorf("%s: unmarshalPayload err = %v, want errMalformed", name, err)
		}
		tok, err := c.repo.Encrypt(b)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := c.Decode(tok); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Decode = %+v, %v; want ErrInvalid", name, p, err)
		}
	}
	// The untouched payload is accepted, so the cases above fail for their
	// own reason.
	if _, err := unmarshalPayload(valid); err != nil {
		t.Fatalf("valid payload rejected: %v", err)
	}
}

func TestDecodeKeyLoadErrorIsNotErrInvalid(t *testing.T) {
	c := NewCodec(NewRepository(t.TempDir(), 3))
	if _, err := c.Decode("gAAAAABo"); err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("Decode with no keys: %v, want a key error that is not ErrInvalid", err)
	}
}

func TestTokenSurvivesRotation(t *testing.T) {
	c := newTestCodec(t)
	p := Payload{UserID: hexID, Methods: []string{"token"}, DomainID: hexID2, IssuedAt: issued, ExpiresAt: expires}
	tok, err := c.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.repo.Rotate(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Decode(tok); err != nil || !reflect.DeepEqual(got, p) {
		t.Errorf("after rotation: Decode = %+v, %v", got, err)
	}
}

func TestNewAuditID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewAuditID()
		raw, err := base64.RawURLEncoding.Strict().DecodeString(id)
		if len(id) != 22 || err != nil || len(raw) != 16 {
			t.Fatalf("audit id %q: length %d, decode error %v", id, len(id), err)
		}
		if !isAuditID(id) {
			t.Fatalf("audit id %q would not be packed", id)
		}
		if seen[id] {
			t.Fatalf("audit id %q repeated", id)
		}
		seen[id] = true
	}
}

func FuzzDecode(f *testing.F) {
	r := NewRepository(f.TempDir(), 3)
	if err := r.Setup(); err != nil {
		f.Fatal(err)
	}
	c := NewCodec(r)
	for _, p := range []Payload{
		{UserID: hexID, Methods: []string{"password"}, ProjectID: hexID2, IssuedAt: issued, ExpiresAt: expires, AuditIDs: []string{audit1, audit2}},
		{UserID: "admin", Methods: []string{"x509", "token"}, System: true, AppCredID: dashedID, AuditIDs: []string{"x"}},
		{UserID: dashedID, DomainID: "default"},
	} {
		b, err := marshalPayload(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		tok, err := c.Encode(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(tok))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		// As a token: anything but a token made by Encode is ErrInvalid.
		if _, err := c.Decode(string(data)); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("Decode(%q) err = %v, want ErrInvalid", data, err)
		}
		// As a payload inside a valid Fernet token: ErrInvalid or a payload
		// that survives a round trip.
		tok, err := r.Encrypt(data)
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Decode(tok)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode of payload %x: %v, want ErrInvalid", data, err)
			}
			return
		}
		again, err := c.Encode(p)
		if err != nil {
			t.Fatalf("decoded payload %+v does not encode: %v", p, err)
		}
		if p2, err := c.Decode(again); err != nil || !reflect.DeepEqual(p2, p) {
			t.Fatalf("round trip of %+v gave %+v, %v", p, p2, err)
		}
	})
}

func benchPayload() Payload {
	return Payload{
		UserID: hexID, Methods: []string{"password"}, ProjectID: hexID2,
		IssuedAt: issued, ExpiresAt: expires, AuditIDs: []string{audit1, audit2},
	}
}

func BenchmarkEncode(b *testing.B) {
	c := newTestCodec(b)
	p := benchPayload()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	c := newTestCodec(b)
	tok, err := c.Encode(benchPayload())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(tok); err != nil {
			b.Fatal(err)
		}
	}
}
