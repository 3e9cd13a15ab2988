package httpapi

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// VersionHeader is the standard microversion header of OpenStack APIs.
const VersionHeader = "OpenStack-API-Version"

// Version is an API microversion, e.g. 2.79.
type Version struct{ Major, Minor int }

// versionPattern is the microversion syntax of OpenStack (no leading zeros).
var versionPattern = regexp.MustCompile(`^([1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// ParseVersion parses "major.minor". A malformed string gives a 400 *Error.
func ParseVersion(s string) (Version, error) {
	m := versionPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, BadRequest("API Version String %s is of invalid format. Must be of format MajorNum.MinorNum.", s)
	}
	major, err1 := strconv.Atoi(m[1])
	minor, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil { // only on overflow
		return Version{}, BadRequest("API Version String %s is of invalid format. Must be of format MajorNum.MinorNum.", s)
	}
	return Version{Major: major, Minor: minor}, nil
}

// String returns "major.minor".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Compare returns -1, 0 or +1 as v is lower than, equal to or higher than o.
func (v Version) Compare(o Version) int {
	if c := cmp.Compare(v.Major, o.Major); c != 0 {
		return c
	}
	return cmp.Compare(v.Minor, o.Minor)
}

// AtLeast reports whether v is major.minor or higher.
func (v Version) AtLeast(major, minor int) bool {
	return v.Compare(Version{Major: major, Minor: minor}) >= 0
}

// Microversions is the microversion range one service supports.
type Microversions struct {
	Service      string // name in OpenStack-API-Version, e.g. "compute", "volume", "placement"
	LegacyHeader string // e.g. "X-OpenStack-Nova-API-Version" (may be "")
	Min, Max     Version
}

// Negotiate reads OpenStack-API-Version (and, when that names no version for the service, the
// legacy header), returns the version to use (absent → Min; "latest" → Max), and sets the
// response headers (OpenStack-API-Version, the legacy header, Vary). Out of range → 406 *Error
// stating the supported range; malformed → 400 *Error.
func (m Microversions) Negotiate(w http.ResponseWriter, r *http.Request) (Version, error) {
	h := w.Header()
	h.Add("Vary", VersionHeader)
	if m.LegacyHeader != "" {
		h.Add("Vary", m.LegacyHeader)
	}
	v, err := m.requested(r)
	if err != nil {
		return Version{}, err
	}
	h.Set(VersionHeader, m.Service+" "+v.String())
	if m.LegacyHeader != "" {
		h.Set(m.LegacyHeader, v.String())
	}
	return v, nil
}

// requested returns the version the request asks for, validated against the range.
func (m Microversions) requested(r *http.Request) (Version, error) {
	raw, ok := m.headerVersion(r)
	if !ok {
		return m.Min, nil
	}
	if strings.EqualFold(raw, "latest") {
		return m.Max, nil
	}
	v, err := ParseVersion(raw)
	if err != nil {
		return Version{}, err
	}
	if v.Compare(m.Min) < 0 || v.Compare(m.Max) > 0 {
		return Version{}, NotAcceptable("Version %s is not supported by the API. Minimum is %s and maximum is %s.",
			v, m.Min, m.Max)
	}
	return v, nil
}

// headerVersion finds the requested version string: the entry for m.Service in
// OpenStack-API-Version ("compute 2.60, volume 3.0"; entries for other services are
// ignored), else the legacy header.
func (m Microversions) headerVersion(r *http.Request) (string, bool) {
	for _, value := range r.Header.Values(VersionHeader) {
		for entry := range strings.SplitSeq(value, ",") {
			fields := strings.Fields(entry)
			if len(fields) == 2 && strings.EqualFold(fields[0], m.Service) {
				return fields[1], true
			}
		}
	}
	if m.LegacyHeader != "" {
		if v := strings.TrimSpace(r.Header.Get(m.LegacyHeader)); v != "" {
			return v, true
		}
	}
	return "", false
}

type versionKey struct{}

// WithVersion returns ctx carrying the negotiated microversion v.
func WithVersion(ctx context.Context, v Version) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

// VersionFrom returns the microversion stored by WithVersion, or the zero Version.
func VersionFrom(ctx context.Context) Version {
	v, _ := ctx.Value(versionKey{}).(Version)
	return v
}
