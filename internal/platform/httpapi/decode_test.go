package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type decodeTarget struct {
	User struct {
		Name    string   `json:"name"`
		Enabled bool     `json:"enabled"`
		Tags    []string `json:"tags"`
		Count   int      `json:"count"`
	} `json:"user"`
	When *time.Time `json:"when"`
}

type validated struct{}

func (validated) UnmarshalJSON([]byte) error { return BadRequest("custom rejection") }

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name       string
		body       io.Reader
		limit      int64
		wantStatus int // 0 = success
		wantMsg    string
	}{
		{name: "ok with unknown fields", body: strings.NewReader(`{"user":{"name":"a","enabled":true,"extra":1},"other":2}`)},
		{name: "malformed", body: strings.NewReader(`{"user": {`), wantStatus: 400, wantMsg: "Malformed request body: unexpected end of JSON input"},
		{name: "syntax", body: strings.NewReader(`{"user": x}`), wantStatus: 400, wantMsg: "Malformed request body: invalid character 'x'"},
		{name: "wrong bool", body: strings.NewReader(`{"user":{"enabled":"yes"}}`), wantStatus: 400,
			wantMsg: "Invalid input for field 'user.enabled': expected boolean, got string"},
		{name: "wrong string", body: strings.NewReader(`{"user":{"name":true}}`), wantStatus: 400,
			wantMsg: "Invalid input for field 'user.name': expected string, got boolean"},
		{name: "wrong array", body: strings.NewReader(`{"user":{"tags":"a"}}`), wantStatus: 400,
			wantMsg: "Invalid input for field 'user.tags': expected array, got string"},
		{name: "wrong integer", body: strings.NewReader(`{"user":{"count":1.5}}`), wantStatus: 400,
			wantMsg: "Invalid input for field 'user.count': expected integer, got number"},
		{name: "wrong object", body: strings.NewReader(`{"user":[]}`), wantStatus: 400,
			wantMsg: "Invalid input for field 'user': expected object, got array"},
		{name: "wrong root", body: strings.NewReader(`[1]`), wantStatus: 400,
			wantMsg: "Invalid input for the request body: expected object, got array"},
		{name: "empty", body: strings.NewReader(""), wantStatus: 400, wantMsg: "the body is empty"},
		{name: "blank", body: strings.NewReader(" \n "), wantStatus: 400, wantMsg: "the body is empty"},
		{name: "no body", body: nil, wantStatus: 400, wantMsg: "the body is empty"},
		{name: "trailing data", body: strings.NewReader(`{"user":{}} {}`), wantStatus: 400, wantMsg: "unexpected data after"},
		{name: "too large", body: strings.NewReader(`{"user":{"name":"` + strings.Repeat("a", 100) + `"}}`), limit: 50,
			wantStatus: 413, wantMsg: "limit of 50 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", tt.body)
			if tt.body == nil {
				r.Body = http.NoBody
			}
			if tt.limit > 0 {
				r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, tt.limit)
			}
			var v decodeTarget
			err := DecodeJSON(r, &v)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				if v.User.Name != "a" || !v.User.Enabled {
					t.Errorf("decoded %+v", v)
				}
				return
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if apiErr.Status != tt.wantStatus || !strings.Contains(apiErr.Message, tt.wantMsg) {
				t.Errorf("got %d %q, want %d containing %q", apiErr.Status, apiErr.Message, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}

func TestDecodeJSONCustomError(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"v": 1}`))
	var v struct {
		V validated `json:"v"`
	}
	var apiErr *Error
	if err := DecodeJSON(r, &v); !errors.As(err, &apiErr) || apiErr.Message != "custom rejection" {
		t.Errorf("err = %v, want the unmarshaler's *Error", err)
	}
}

func TestDecodeJSONNonPointerIsInternal(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
	var apiErr *Error
	if err := DecodeJSON(r, decodeTarget{}); err == nil || errors.As(err, &apiErr) {
		t.Errorf("err = %v, want a plain (500) error", err)
	}
}
