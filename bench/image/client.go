package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"

	"github.com/gostack/gostack/bench/internal/harness"
)

// client talks to identity and the image API over keep-alive connections.
type client struct {
	*harness.Client
	image string
}

// newClient returns a client of the image API at imageURL keeping up to conns idle
// connections per API.
func newClient(imageURL string, conns int) *client {
	return &client{Client: harness.NewClient(conns), image: imageURL}
}

// imageRecord is the part of an image the benchmark reads.
type imageRecord struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Size     *int64 `json:"size"`
	Checksum string `json:"checksum"`
}

// createImage creates a raw/bare image record and returns its id.
func (c *client) createImage(ctx context.Context, name string, extra map[string]any) (string, error) {
	body := map[string]any{"name": name, "disk_format": "raw", "container_format": "bare"}
	for k, v := range extra {
		body[k] = v
	}
	var img imageRecord
	if _, err := c.CallJSON(ctx, http.MethodPost, c.image+"/v2/images", body, http.StatusCreated, &img); err != nil {
		return "", err
	}
	if img.ID == "" || img.Status != "queued" {
		return "", fmt.Errorf("POST /v2/images: new image has id %q, status %q", img.ID, img.Status)
	}
	return img.ID, nil
}

// showImage reads an image record.
func (c *client) showImage(ctx context.Context, id string) (imageRecord, error) {
	var img imageRecord
	_, err := c.CallJSON(ctx, http.MethodGet, c.image+"/v2/images/"+id, nil, http.StatusOK, &img)
	return img, err
}

// deleteImage deletes an image and its data.
func (c *client) deleteImage(ctx context.Context, id string) error {
	_, err := c.CallJSON(ctx, http.MethodDelete, c.image+"/v2/images/"+id, nil, http.StatusNoContent, nil)
	return err
}

// upload streams size bytes from data into PUT /v2/images/{id}/file.
func (c *client) upload(ctx context.Context, id string, data io.Reader, size int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.image+"/v2/images/"+id+"/file", data)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	c.Authorize(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("PUT /v2/images/%s/file: %w", id, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("PUT /v2/images/%s/file: %d, want 204: %.300s", id, resp.StatusCode, msg)
	}
	return nil
}

// downloaded is what a download saw.
type downloaded struct {
	n          int64
	md5        string // "" when not hashed
	contentMD5 string // the Content-MD5 header
}

// download reads GET /v2/images/{id}/file into io.Discard, hashing it with md5 when verify.
func (c *client) download(ctx context.Context, id string, verify bool) (downloaded, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.image+"/v2/images/"+id+"/file", nil)
	if err != nil {
		return downloaded{}, err
	}
	c.Authorize(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return downloaded{}, fmt.Errorf("GET /v2/images/%s/file: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return downloaded{}, fmt.Errorf("GET /v2/images/%s/file: %d, want 200: %.300s", id, resp.StatusCode, msg)
	}
	d := downloaded{contentMD5: resp.Header.Get("Content-MD5")}
	var sink io.Writer = io.Discard
	h := md5.New()
	if verify {
		sink = h
	}
	d.n, err = io.CopyBuffer(sink, resp.Body, make([]byte, 1<<20))
	if err != nil {
		return d, fmt.Errorf("GET /v2/images/%s/file: after %d bytes: %w", id, d.n, err)
	}
	if verify {
		d.md5 = hex.EncodeToString(h.Sum(nil))
	}
	return d, nil
}
