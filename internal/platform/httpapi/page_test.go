package httpapi

import (
	"crypto/tls"
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestParsePage(t *testing.T) {
	tests := []struct {
		query      string
		def, max   int
		want       Page
		wantStatus int
	}{
		{"", 25, 1000, Page{Limit: 25}, 0},
		{"?limit=10&marker=abc", 25, 1000, Page{Limit: 10, Marker: "abc"}, 0},
		{"?limit=5000", 25, 1000, Page{Limit: 1000}, 0},
		{"?limit=0", 25, 1000, Page{Limit: 1000}, 0},
		{"?limit=", 25, 1000, Page{Limit: 25}, 0},
		{"?marker=", 25, 1000, Page{Limit: 25}, 0},
		{"", 0, 1000, Page{Limit: 1000}, 0},
		{"", 0, 0, Page{Limit: 0}, 0},
		{"?limit=7", 0, 0, Page{Limit: 7}, 0},
		{"", 2000, 1000, Page{Limit: 1000}, 0},
		{"?limit=abc", 25, 1000, Page{}, 400},
		{"?limit=1.5", 25, 1000, Page{}, 400},
		{"?limit=-1", 25, 1000, Page{}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := ParsePage(httptest.NewRequest("GET", "/servers"+tt.query, nil), tt.def, tt.max)
			if tt.wantStatus != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Status != tt.wantStatus {
					t.Fatalf("err = %v, want status %d", err, tt.wantStatus)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestNextLink(t *testing.T) {
	tests := []struct {
		name, target, base, marker string
		limit                      int
		want                       string
	}{
		{"keeps filters", "/v2.1/servers/detail?status=ACTIVE&limit=2&marker=old", "http://cloud:8774", "m1", 2,
			"http://cloud:8774/v2.1/servers/detail?limit=2&marker=m1&status=ACTIVE"},
		{"base with path prefix", "/v2.1/servers?limit=1", "https://cloud:8774/v2.1/", "m2", 1,
			"https://cloud:8774/v2.1/servers?limit=1&marker=m2"},
		{"base mounted elsewhere", "/servers", "https://cloud/compute", "m3", 5,
			"https://cloud/compute/servers?limit=5&marker=m3"},
		{"no limit", "/v2/images?limit=3", "http://g:9292", "m4", 0,
			"http://g:9292/v2/images?marker=m4"},
		{"escaping", "/v2.0/networks?name=a+b", "http://n:9696", "x&y", 1,
			"http://n:9696/v2.0/networks?limit=1&marker=x%26y&name=a+b"},
		{"default base", "/v3/users", "", "u", 1, "http://example.com/v3/users?limit=1&marker=u"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			if got := NextLink(r, tt.base, tt.marker, tt.limit); got != tt.want {
				t.Errorf("NextLink = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseSort(t *testing.T) {
	allowed := []string{"name", "created_at", "status"}
	tests := []struct {
		query string
		want  []SortKey
		bad   bool
	}{
		{"", nil, false},
		{"?sort_key=name", []SortKey{{Key: "name"}}, false},
		{"?sort_key=name&sort_dir=desc", []SortKey{{Key: "name", Desc: true}}, false},
		{"?sort_key=name&sort_dir=DESC&sort_key=status", []SortKey{{Key: "name", Desc: true}, {Key: "status"}}, false},
		{"?sort_key=name&sort_key=status&sort_dir=asc&sort_dir=desc", []SortKey{{Key: "name"}, {Key: "status", Desc: true}}, false},
		{"?sort=name:asc,created_at:desc", []SortKey{{Key: "name"}, {Key: "created_at", Desc: true}}, false},
		{"?sort=status", []SortKey{{Key: "status"}}, false},
		{"?sort=name&sort=status:desc", []SortKey{{Key: "name"}, {Key: "status", Desc: true}}, false},
		{"?sort_key=password", nil, true},
		{"?sort_key=name&sort_dir=up", nil, true},
		{"?sort_dir=asc", nil, true},
		{"?sort_key=name&sort_dir=asc&sort_dir=desc", nil, true},
		{"?sort=name:sideways", nil, true},
		{"?sort=bogus:asc", nil, true},
		{"?sort=name,,status", nil, true},
		{"?sort=name&sort_key=status", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := ParseSort(httptest.NewRequest("GET", "/x"+tt.query, nil), allowed)
			if tt.bad {
				var e *Error
				if !errors.As(err, &e) || e.Status != 400 {
					t.Fatalf("err = %v, want 400", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		tls     bool
		want    string
	}{
		{"plain", nil, false, "http://example.com"},
		{"tls", nil, true, "https://example.com"},
		{"forwarded", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cloud.example:443"}, false, "https://cloud.example:443"},
		{"forwarded list", map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "a.example, b.example"}, false, "https://a.example"},
		{"bad proto ignored", map[string]string{"X-Forwarded-Proto": "javascript"}, false, "http://example.com"},
		{"bad host ignored", map[string]string{"X-Forwarded-Host": "evil.example/path"}, false, "http://example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := BaseURL(r); got != tt.want {
				t.Errorf("BaseURL = %q, want %q", got, tt.want)
			}
		})
	}
}
