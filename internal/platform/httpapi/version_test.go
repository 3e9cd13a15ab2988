package httpapi

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		bad  bool
	}{
		{"2.1", Version{2, 1}, false},
		{"2.96", Version{2, 96}, false},
		{"3.0", Version{3, 0}, false},
		{" 1.10 ", Version{1, 10}, false},
		{"2.01", Version{}, true},
		{"02.1", Version{}, true},
		{"2", Version{}, true},
		{"2.1.1", Version{}, true},
		{"latest", Version{}, true},
		{"", Version{}, true},
		{"2.99999999999999999999", Version{}, true},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.in)
		if tt.bad {
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 {
				t.Errorf("ParseVersion(%q) err = %v, want 400", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	v := Version{2, 60}
	if !v.AtLeast(2, 60) || !v.AtLeast(2, 1) || v.AtLeast(2, 61) || v.AtLeast(3, 0) || !v.AtLeast(1, 99) {
		t.Error("AtLeast is wrong")
	}
	if v.String() != "2.60" {
		t.Errorf("String = %q", v.String())
	}
}

func TestNegotiate(t *testing.T) {
	nova := Microversions{Service: "compute", LegacyHeader: "X-OpenStack-Nova-API-Version",
		Min: Version{2, 1}, Max: Version{2, 96}}
	cinder := Microversions{Service: "volume", Min: Version{3, 0}, Max: Version{3, 70}}
	tests := []struct {
		name       string
		m          Microversions
		headers    map[string]string
		want       Version
		wantStatus int
		wantMsg    string
	}{
		{name: "absent", m: nova, want: Version{2, 1}},
		{name: "latest", m: nova, headers: map[string]string{"OpenStack-API-Version": "compute latest"}, want: Version{2, 96}},
		{name: "Latest mixed case", m: nova, headers: map[string]string{"OpenStack-API-Version": "compute LATEST"}, want: Version{2, 96}},
		{name: "in range", m: nova, headers: map[string]string{"OpenStack-API-Version": "compute 2.60"}, want: Version{2, 60}},
		{name: "among other services", m: nova, headers: map[string]string{"OpenStack-API-Version": "volume 3.5, compute 2.79"}, want: Version{2, 79}},
		{name: "other service only", m: nova, headers: map[string]string{"OpenStack-API-Version": "volume 3.5"}, want: Version{2, 1}},
		{name: "legacy", m: nova, headers: map[string]string{"X-OpenStack-Nova-API-Version": "2.53"}, want: Version{2, 53}},
		{name: "new header wins", m: nova, headers: map[string]string{"X-OpenStack-Nova-API-Version": "2.53", "OpenStack-API-Version": "compute 2.10"}, want: Version{2, 10}},
		{name: "legacy latest", m: nova, headers: map[string]string{"X-OpenStack-Nova-API-Version": "latest"}, want: Version{2, 96}},
		{name: "too high", m: nova, headers: map[string]string{"OpenStack-API-Version": "compute 2.97"}, wantStatus: 406,
			wantMsg: "Version 2.97 is not supported by the API. Minimum is 2.1 and maximum is 2.96."},
		{name: "too low", m: nova, headers: map[string]string{"OpenStack-API-Version": "compute 2.0"}, wantStatus: 406},
		{name: "other major", m: nova, headers: map[string]string{"X-OpenStack-Nova-API-Version": "3.1"}, wantStatus: 406},
		{name: "malformed", m: nova, headers: map[string]string{"OpenStack-API-Version": "compute 2.x"}, wantStatus: 400,
			wantMsg: "API Version String 2.x is of invalid format"},
		{name: "malformed legacy", m: nova, headers: map[string]string{"X-OpenStack-Nova-API-Version": "two"}, wantStatus: 400},
		{name: "cinder", m: cinder, headers: map[string]string{"OpenStack-API-Version": "volume 3.27"}, want: Version{3, 27}},
		{name: "cinder absent", m: cinder, want: Version{3, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			got, err := tt.m.Negotiate(w, r)
			vary := strings.Join(w.Header().Values("Vary"), ",")
			if !strings.Contains(vary, "OpenStack-API-Version") || (tt.m.LegacyHeader != "" && !strings.Contains(vary, tt.m.LegacyHeader)) {
				t.Errorf("Vary = %q", vary)
			}
			if tt.wantStatus != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Status != tt.wantStatus || !strings.Contains(e.Message, tt.wantMsg) {
					t.Fatalf("err = %v, want %d %q", err, tt.wantStatus, tt.wantMsg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
			if h := w.Header().Get("OpenStack-API-Version"); h != tt.m.Service+" "+tt.want.String() {
				t.Errorf("OpenStack-API-Version = %q", h)
			}
			if tt.m.LegacyHeader != "" && w.Header().Get(tt.m.LegacyHeader) != tt.want.String() {
				t.Errorf("%s = %q", tt.m.LegacyHeader, w.Header().Get(tt.m.LegacyHeader))
			}
		})
	}
}

func TestVersionContext(t *testing.T) {
	ctx := WithVersion(context.Background(), Version{2, 42})
	if got := VersionFrom(ctx); got != (Version{2, 42}) {
		t.Errorf("VersionFrom = %v", got)
	}
	if got := VersionFrom(context.Background()); got != (Version{}) {
		t.Errorf("VersionFrom(empty) = %v", got)
	}
}
