package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// requestTimeout bounds every request a Client sends through CallJSON and GetTimed.
const requestTimeout = 60 * time.Second

// Client talks to gostack's APIs over keep-alive connections with the admin's token.
type Client struct {
	HTTP  *http.Client
	Token string // X-Auth-Token; "" until Login
}

// NewClient returns a client keeping up to conns idle connections per API.
func NewClient(conns int) *Client {
	tr := &http.Transport{
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      256 << 10,
	}
	return &Client{HTTP: &http.Client{Transport: tr}}
}

// Login issues a project-scoped token for the bootstrap admin from identity.
func (c *Client) Login(ctx context.Context, identityURL, password string) error {
	body := map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{"user": map[string]any{
			"name": "admin", "domain": map[string]any{"name": "Default"}, "password": password}}},
		"scope": map[string]any{"project": map[string]any{"name": "admin", "domain": map[string]any{"name": "Default"}}},
	}}
	h, err := c.CallJSON(ctx, http.MethodPost, identityURL+"/v3/auth/tokens", body, http.StatusCreated, nil)
	if err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	if c.Token = h.Get("X-Subject-Token"); c.Token == "" {
		return fmt.Errorf("admin login: no X-Subject-Token in the response")
	}
	return nil
}

// CallJSON sends a JSON request (body nil: none), requires status want and decodes the answer
// into out (nil: discarded).
func (c *Client) CallJSON(ctx context.Context, method, url string, body any, want int, out any) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.Authorize(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, url, err)
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d, want %d: %.300s", method, url, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s %s: decoding the answer: %w", method, url, err)
		}
	}
	return resp.Header, nil
}

// Authorize puts the token on a request.
func (c *Client) Authorize(req *http.Request) {
	if c.Token != "" {
		req.Header.Set("X-Auth-Token", c.Token)
	}
}

// GetTimed sends GET url and reads the whole body, returning the time to the last byte and
// the body; anything but a 200 is an error.
func (c *Client) GetTimed(ctx context.Context, url string) (time.Duration, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	c.Authorize(req)
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, nil, fmt.Errorf("GET %s: %d, want 200: %.300s", url, resp.StatusCode, data)
	}
	return took, data, nil
}
