// Package apitest is a small HTTP client for tests of gostack's APIs: it sends JSON (or raw)
// requests with a token and decodes the answers, failing the test on transport errors.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Client calls one API.
type Client struct {
	T       testing.TB
	BaseURL string
}

// Response is a decoded API answer.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any // the JSON object of the body, when it is one
	Raw    string
}

// Call sends a request. body may be nil, a string or []byte (sent as is) or any JSON value;
// headers are name, value pairs (a Content-Type among them replaces application/json).
func (c Client) Call(method, path, token string, body any, headers ...string) Response {
	c.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.T.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.BaseURL+path, rd)
	if err != nil {
		c.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json") // as openstacksdk and gophercloud send
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatal(err)
	}
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: string(data)}
	if len(data) > 0 {
		_ = json.Unmarshal(data, &out.Body)
	}
	return out
}

// Must fails the test unless the response has the wanted status; it returns the response.
func (r Response) Must(t testing.TB, status int) Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}

// Obj returns a nested object of the body by keys (the body itself without keys).
func (r Response) Obj(keys ...string) map[string]any {
	m := r.Body
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// List returns a list field of the body as objects.
func (r Response) List(key string) []map[string]any {
	items, _ := r.Body[key].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}
