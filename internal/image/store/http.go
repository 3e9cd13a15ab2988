package store

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func init() {
	Register("http", Factory{New: func(Params) (Driver, error) { return NewHTTP(HTTPOptions{}), nil }})
}

// HTTPOptions tune the http store; zero values take the defaults.
type HTTPOptions struct {
	ConnectTimeout time.Duration     // dialing and TLS handshake (default 30s)
	HeaderTimeout  time.Duration     // waiting for response headers (default 60s)
	MaxRedirects   int               // redirects followed per request (default 5, as glance_store)
	Transport      http.RoundTripper // for tests and proxies; default: a tuned clone of http.DefaultTransport
}

// HTTP is the read-only store of images at external http:// and https://
// locations. There is no overall request timeout, so long downloads are not
// cut short; the caller's context bounds them.
type HTTP struct {
	client *http.Client
}

// NewHTTP returns an http store.
func NewHTTP(o HTTPOptions) *HTTP {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = 60 * time.Second
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 5
	}
	rt := o.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = o.ConnectTimeout
		t.ResponseHeaderTimeout = o.HeaderTimeout
		rt = t
	}
	max := o.MaxRedirects
	return &HTTP{client: &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > max {
				return fmt.Errorf("more than %d redirects", max)
			}
			return nil
		},
	}}
}

// Type returns "http".
func (h *HTTP) Type() string { return "http" }

// ReadOnly returns true.
func (h *HTTP) ReadOnly() bool { return true }

// Owns reports whether url is an http:// or https:// URL with a host.
func (h *HTTP) Owns(url string) bool {
	_, err := parseHTTPURL(url)
	return err == nil
}

// Add fails with ErrReadOnly.
func (h *HTTP) Add(context.Context, string, io.Reader, int64) (Location, int64, error) {
	return Location{}, 0, fmt.Errorf("http store: add: %w", ErrReadOnly)
}

// Delete fails with ErrReadOnly.
func (h *HTTP) Delete(context.Context, Location) error {
	return fmt.Errorf("http store: delete: %w", ErrReadOnly)
}

// Get issues a GET for the location, with a Range header when a range is
// asked. A server that ignores Range is handled by skipping and limiting the
// body.
func (h *HTTP) Get(ctx context.Context, loc Location, offset, length int64) (io.ReadCloser, int64, error) {
	u, err := parseHTTPURL(loc.URL)
	if err != nil {
		return nil, 0, err
	}
	if offset < 0 {
		return nil, 0, fmt.Errorf("http store: offset %d: %w", offset, ErrRange)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("http store: %w", err)
	}
	if offset > 0 || length > 0 {
		r := fmt.Sprintf("bytes=%d-", offset)
		if length > 0 {
			r += strconv.FormatInt(offset+length-1, 10)
		}
		req.Header.Set("Range", r)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("http store: GET %s: %w", redact(u), err)
	}
	body, total, err := h.body(resp, offset, length)
	if err != nil {
		resp.Body.Close()
		return nil, 0, fmt.Errorf("http store: GET %s: %w", redact(u), err)
	}
	return body, total, nil
}

// body turns a response into the requested range and the total size.
func (h *HTTP) body(resp *http.Response, offset, length int64) (io.ReadCloser, int64, error) {
	switch resp.StatusCode {
	case http.StatusOK:
		total := resp.ContentLength
		if total >= 0 && offset > total {
			return nil, 0, ErrRange
		}
		if offset > 0 { // Range ignored: skip to the offset
			if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
				return nil, 0, fmt.Errorf("skip to offset %d: %w", offset, err)
			}
		}
		return limited(resp.Body, length), total, nil
	case http.StatusPartialContent:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return nil, 0, err
		}
		if start != offset {
			return nil, 0, fmt.Errorf("server sent range from %d, asked for %d", start, offset)
		}
		return limited(resp.Body, length), total, nil
	case http.StatusNotFound, http.StatusGone:
		return nil, 0, fmt.Errorf("%s: %w", resp.Status, ErrNotFound)
	case http.StatusRequestedRangeNotSatisfiable:
		return nil, 0, ErrRange
	}
	return nil, 0, fmt.Errorf("unexpected status %s", resp.Status)
}

// limited returns body limited to length bytes (length < 0 = all of it).
func limited(body io.ReadCloser, length int64) io.ReadCloser {
	if length < 0 {
		return body
	}
	return readCloser{Reader: io.LimitReader(body, length), Closer: body}
}

// parseContentRange parses "bytes first-last/total" (total may be "*").
func parseContentRange(v string) (start, total int64, err error) {
	spec, ok := strings.CutPrefix(v, "bytes ")
	rng, size, ok2 := strings.Cut(spec, "/")
	first, _, ok3 := strings.Cut(rng, "-")
	if !ok || !ok2 || !ok3 {
		return 0, 0, fmt.Errorf("bad Content-Range %q", v)
	}
	if start, err = strconv.ParseInt(first, 10, 64); err != nil || start < 0 {
		return 0, 0, fmt.Errorf("bad Content-Range %q", v)
	}
	if size == "*" {
		return start, -1, nil
	}
	if total, err = strconv.ParseInt(size, 10, 64); err != nil || total < 0 {
		return 0, 0, fmt.Errorf("bad Content-Range %q", v)
	}
	return start, total, nil
}

// parseHTTPURL checks that raw is an absolute http(s) URL with a host.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("http store: %q: %w", redactRaw(raw), ErrBadLocation)
	}
	return u, nil
}

// redact hides any password in a URL, for error messages.
func redact(u *url.URL) string { return u.Redacted() }

func redactRaw(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "<unparsable URL>"
}
