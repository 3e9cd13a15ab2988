package image

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/apitest"
	"github.com/gostack/gostack/internal/platform/db"
)

// as returns the environment with failures reported to t: inside a fuzz target or a subtest
// the calls must fail that test, not the one that made the environment.
func (e *testEnv) as(t testing.TB) *testEnv {
	cp := *e
	cp.t, cp.api.T = t, t
	return &cp
}

// show returns an image as the token's user sees it; the image must be visible.
func (e *testEnv) show(token, id string) map[string]any {
	e.t.Helper()
	return e.call("GET", "/v2/images/"+id, token, nil).Must(e.t, http.StatusOK).Body
}

// rawImage creates an image with the raw/bare formats and any extra attributes.
func (e *testEnv) rawImage(token string, attrs map[string]any) string {
	e.t.Helper()
	body := map[string]any{"disk_format": "raw", "container_format": "bare"}
	for k, v := range attrs {
		body[k] = v
	}
	return e.create(token, body)["id"].(string)
}

// activeImage creates a raw image and uploads data to it.
func (e *testEnv) activeImage(token string, attrs map[string]any, data []byte) string {
	e.t.Helper()
	id := e.rawImage(token, attrs)
	e.upload(token, id, data).Must(e.t, http.StatusNoContent)
	return id
}

// ids lists images with a query (without the leading "?") and returns the ids of one page.
func (e *testEnv) ids(token, query string) []string {
	e.t.Helper()
	res := e.call("GET", "/v2/images?"+query, token, nil).Must(e.t, http.StatusOK)
	var out []string
	for _, img := range res.List("images") {
		out = append(out, img["id"].(string))
	}
	return out
}

// waitStatus polls an image until its status is one of want, and returns it.
func (e *testEnv) waitStatus(token, id string, want ...string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		img := e.show(token, id)
		if slices.Contains(want, img["status"].(string)) {
			return img
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("image %s stayed %v, want %v", id, img["status"], want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sameImage fails when an image is no longer exactly as it was: nothing of a refused
// request may have been written.
func sameImage(t testing.TB, e *testEnv, token, id string, before map[string]any, what string) {
	t.Helper()
	after := e.as(t).show(token, id)
	if !reflect.DeepEqual(before, after) {
		for k := range mergeKeys(before, after) {
			if !reflect.DeepEqual(before[k], after[k]) {
				t.Errorf("%s changed the image: %s was %v, is %v", what, k, before[k], after[k])
			}
		}
	}
}

func mergeKeys(a, b map[string]any) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// md5Hex is the checksum Glance records for data.
func md5Hex(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

// storedFiles counts the files in the file store.
func storedFiles(e *testEnv) int {
	entries, _ := os.ReadDir(filepath.Join(e.dataDir, "file"))
	return len(entries)
}

// setTimes rewrites an image's created_at and updated_at in the database, so that time
// filters and ties in sort orders can be tested without waiting.
func setTimes(t testing.TB, e *testEnv, id string, created, updated time.Time) {
	t.Helper()
	_, err := e.svc.store.db.Exec(context.Background(), "UPDATE image SET created_at = ?, updated_at = ? WHERE id = ?",
		db.Micros(created), db.Micros(updated), id)
	if err != nil {
		t.Fatal(err)
	}
}

// sameSet reports whether two id lists hold the same ids, ignoring order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// query builds a query string from name, value pairs.
func query(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v.Encode()
}

// message is the text of an error response, whichever way it was rendered (webob's HTML page
// by default, JSON when asked for).
func message(res apitest.Response) string {
	if m, ok := res.Body["message"].(string); ok {
		return m
	}
	return html.UnescapeString(res.Raw)
}

// mustSay fails unless an error response has the status and its message contains says.
func mustSay(t testing.TB, res apitest.Response, status int, says string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("status %d, want %d: %s", res.Status, status, message(res))
		return
	}
	if !strings.Contains(message(res), says) {
		t.Errorf("message %q does not say %q", message(res), says)
	}
}
