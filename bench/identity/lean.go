package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// doer sends one benchmark request and returns its status and body. Each worker has its own.
type doer interface {
	send(ctx context.Context, c call) (int, []byte, error)
	close()
}

// netHTTPDoer sends through the shared net/http client (its connection pool).
type netHTTPDoer struct{ cl *client }

func (d netHTTPDoer) send(ctx context.Context, c call) (int, []byte, error) {
	status, _, body, err := d.cl.do(ctx, c)
	return status, body, err
}

func (netHTTPDoer) close() {}

// leanDoer is a minimal HTTP/1.1 client on one keep-alive connection, in the manner of wrk:
// it writes each request in one write and parses the response in the same goroutine, so the
// load generator spends as little of the shared CPUs as possible.
type leanDoer struct {
	addr string // host:port
	conn net.Conn
	r    *bufio.Reader
	req  bytes.Buffer
	body []byte
}

func newLeanDoer(baseURL string) *leanDoer {
	return &leanDoer{addr: strings.TrimPrefix(baseURL, "http://")}
}

func (d *leanDoer) close() {
	if d.conn != nil {
		_ = d.conn.Close()
		d.conn = nil
	}
}

// send writes c and reads the response; a failure on a reused connection is retried once on
// a new one, as net/http does for idempotent requests.
func (d *leanDoer) send(ctx context.Context, c call) (int, []byte, error) {
	reused := d.conn != nil
	status, body, err := d.roundTrip(ctx, c)
	if err != nil && reused {
		status, body, err = d.roundTrip(ctx, c)
	}
	return status, body, err
}

func (d *leanDoer) roundTrip(ctx context.Context, c call) (int, []byte, error) {
	if d.conn == nil {
		var dialer net.Dialer
		conn, err := dialer.DialContext(ctx, "tcp", d.addr)
		if err != nil {
			return 0, nil, err
		}
		d.conn, d.r = conn, bufio.NewReaderSize(conn, 16<<10)
	}
	d.writeRequest(c)
	_ = d.conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := d.conn.Write(d.req.Bytes()); err != nil {
		d.close()
		return 0, nil, err
	}
	status, keepAlive, err := d.readResponse()
	if err != nil || !keepAlive {
		d.close()
	}
	return status, d.body, err
}

// writeRequest serializes c into d.req.
func (d *leanDoer) writeRequest(c call) {
	b := &d.req
	b.Reset()
	fmt.Fprintf(b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: gostack-bench-identity\r\nAccept: application/json\r\n", c.method, c.path, d.addr)
	for _, h := range c.header {
		b.WriteString(h[0])
		b.WriteString(": ")
		b.WriteString(h[1])
		b.WriteString("\r\n")
	}
	if c.body != nil {
		fmt.Fprintf(b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(c.body))
	}
	b.WriteString("\r\n")
	b.Write(c.body)
}

// readResponse reads one response into d.body, returning its status and whether the
// connection may be reused.
func (d *leanDoer) readResponse() (status int, keepAlive bool, err error) {
	line, err := d.r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	status, err = parseStatusLine(line)
	if err != nil {
		return 0, false, err
	}
	length, chunked, keepAlive := -1, false, true
	for {
		line, err := d.r.ReadSlice('\n')
		if err != nil {
			return status, false, err
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, false, fmt.Errorf("malformed header line %q", line)
		}
		v := string(bytes.TrimSpace(value))
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(v); err != nil || length < 0 {
				return status, false, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = strings.EqualFold(v, "chunked")
		case bytes.EqualFold(name, []byte("Connection")):
			keepAlive = !strings.EqualFold(v, "close")
		}
	}
	switch {
	case chunked:
		err = d.readChunked()
	case length >= 0:
		d.body = grow(d.body, length)
		_, err = io.ReadFull(d.r, d.body)
	default: // body until the connection closes
		d.body, err = io.ReadAll(d.r)
		keepAlive = false
	}
	return status, keepAlive && err == nil, err
}

// readChunked reads a chunked body (without trailers of interest) into d.body.
func (d *leanDoer) readChunked() error {
	d.body = d.body[:0]
	for {
		line, err := d.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		sizeText, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
		size, err := strconv.ParseInt(sizeText, 16, 32)
		if err != nil || size < 0 {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailers, up to the blank line
				line, err := d.r.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return nil
				}
			}
		}
		start := len(d.body)
		d.body = grow(d.body, start+int(size))
		if _, err := io.ReadFull(d.r, d.body[start:]); err != nil {
			return err
		}
		if _, err := d.r.Discard(2); err != nil { // the chunk's CRLF
			return err
		}
	}
}

// grow returns b resized to n bytes, reusing its storage when it can.
func grow(b []byte, n int) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	nb := make([]byte, n, n+n/2)
	copy(nb, b)
	return nb
}

// parseStatusLine reads the status code of "HTTP/1.1 200 OK".
func parseStatusLine(line []byte) (int, error) {
	s := string(bytes.TrimRight(line, "\r\n"))
	proto, rest, ok := strings.Cut(s, " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/1.") {
		return 0, fmt.Errorf("malformed status line %q", s)
	}
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if err != nil || status < 100 || status > 999 {
		return 0, errors.New("malformed status code in " + strconv.Quote(s))
	}
	return status, nil
}
