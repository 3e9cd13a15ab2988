package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// imageServer serves a 1000-byte image at /img (with Range support), the
// same bytes ignoring Range at /norange, redirects and failures.
func imageServer(t *testing.T) (*httptest.Server, []byte) {
	t.Helper()
	data := make([]byte, 1000)
	for i := range data {
		data[i] = patternByte(int64(i))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/img", func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "img", time.Time{}, bytes.NewReader(data))
	})
	mux.HandleFunc("/norange", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	})
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			http.Redirect(w, r, "/img", http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux) // loopback only
	t.Cleanup(srv.Close)
	return srv, data
}

func TestHTTPGet(t *testing.T) {
	srv, data := imageServer(t)
	h := NewHTTP(HTTPOptions{})
	ctx := context.Background()
	tests := []struct {
		name           string
		path           string
		offset, length int64
		want           []byte
		wantTotal      int64
		wantErr        error
	}{
		{"whole", "/img", 0, -1, data, 1000, nil},
		{"range head", "/img", 0, 10, data[:10], 1000, nil},
		{"range middle", "/img", 100, 50, data[100:150], 1000, nil},
		{"range to end", "/img", 990, -1, data[990:], 1000, nil},
		{"range past end", "/img", 990, 100, data[990:], 1000, nil},
		{"range not satisfiable", "/img", 2000, 10, nil, 0, ErrRange},
		{"server ignores range", "/norange", 100, 50, data[100:150], 1000, nil},
		{"server ignores range, to end", "/norange", 900, -1, data[900:], 1000, nil},
		{"server ignores range, past end", "/norange", 2000, -1, nil, 0, ErrRange},
		{"redirects within limit", "/hop/3", 10, 5, data[10:15], 1000, nil},
		{"404", "/missing", 0, -1, nil, 0, ErrNotFound},
		{"410", "/gone", 0, -1, nil, 0, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, total, err := h.Get(ctx, Location{URL: srv.URL + tt.path}, tt.offset, tt.length)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil || !bytes.Equal(got, tt.want) || total != tt.wantTotal {
				t.Errorf("got %d bytes (equal=%v, err %v), total %d; want %d bytes, total %d",
					len(got), bytes.Equal(got, tt.want), err, total, len(tt.want), tt.wantTotal)
			}
		})
	}
}

func TestHTTPFailures(t *testing.T) {
	srv, _ := imageServer(t)
	h := NewHTTP(HTTPOptions{HeaderTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	for _, tt := range []struct{ path, want string }{
		{"/hop/9", "redirects"},
		{"/broken", "500"},
		{"/slow", "timeout"},
	} {
		rc, _, err := h.Get(ctx, Location{URL: srv.URL + tt.path}, 0, -1)
		if err == nil {
			rc.Close()
			t.Errorf("%s: no error", tt.path)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.path, err, tt.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := h.Get(cctx, Location{URL: srv.URL + "/img"}, 0, -1); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Get = %v", err)
	}
}

func TestHTTPReadOnly(t *testing.T) {
	h := NewHTTP(HTTPOptions{})
	ctx := context.Background()
	if !h.ReadOnly() || h.Type() != "http" {
		t.Fatal("http store must be read-only type http")
	}
	if _, _, err := h.Add(ctx, "x", strings.NewReader("x"), -1); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Add = %v", err)
	}
	if err := h.Delete(ctx, Location{URL: "http://example.com/x"}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Delete = %v", err)
	}
	for u, want := range map[string]bool{
		"http://example.com/a.img":  true,
		"https://example.com/a.img": true,
		"http:///nohost":            false,
		"file:///x":                 false,
		"ftp://example.com/x":       false,
	} {
		if h.Owns(u) != want {
			t.Errorf("Owns(%q) = %v", u, !want)
		}
	}
	if _, _, err := h.Get(ctx, Location{URL: "file:///etc/passwd"}, 0, -1); !errors.Is(err, ErrBadLocation) {
		t.Errorf("Get(file://) = %v", err)
	}
	if _, _, err := h.Get(ctx, Location{URL: "http://u:secret@example.invalid:1/x"}, 0, -1); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("error leaks or is missing: %v", err)
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in           string
		start, total int64
		ok           bool
	}{
		{"bytes 0-9/1000", 0, 1000, true},
		{"bytes 5-9/*", 5, -1, true},
		{"bytes */1000", 0, 0, false},
		{"items 0-9/10", 0, 0, false},
		{"bytes 0-9", 0, 0, false},
		{"bytes -1-9/10", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		s, n, err := parseContentRange(tt.in)
		if (err == nil) != tt.ok || (tt.ok && (s != tt.start || n != tt.total)) {
			t.Errorf("parseContentRange(%q) = %d, %d, %v", tt.in, s, n, err)
		}
	}
}
