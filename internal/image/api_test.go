package image

import (
	"bytes"
	"crypto/md5"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gostack/gostack/internal/platform/openapitest"
)

// rawData is n bytes that no format inspector recognises.
func rawData(n int) []byte {
	return bytes.Repeat([]byte("gostack raw image data "), n/23+1)[:n]
}

// oracle validates a response against Glance's OpenAPI schema.
func oracle(t *testing.T, method, path string, status int, raw string) {
	t.Helper()
	openapitest.Load(t, "image", "v2.16.yaml").ValidateResponse(t, method, path, status, []byte(raw))
}

func TestImageLifecycle(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("POST", "/v2/images", e.member, map[string]any{"name": "cirros", "disk_format": "raw",
		"container_format": "bare", "hw_disk_bus": "virtio", "tags": []string{"a"}}).Must(t, http.StatusCreated)
	oracle(t, "POST", "/v2/images", res.Status, res.Raw)
	img := res.Body
	id := img["id"].(string)
	if res.Header.Get("Location") != "/v2/images/"+id {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	for k, want := range map[string]any{"status": "queued", "visibility": "shared", "owner": e.demo, "size": nil,
		"checksum": nil, "min_ram": 0.0, "protected": false, "os_hidden": false, "hw_disk_bus": "virtio",
		"file": "/v2/images/" + id + "/file", "schema": "/v2/schemas/image"} {
		if img[k] != want {
			t.Errorf("%s = %v, want %v", k, img[k], want)
		}
	}

	data := rawData(3<<20 + 17)
	e.upload(e.member, id, data).Must(t, http.StatusNoContent)
	res = e.call("GET", "/v2/images/"+id, e.member, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2/images/"+id, res.Status, res.Raw)
	img = res.Body
	sum, sha := md5.Sum(data), sha512.Sum512(data)
	for k, want := range map[string]any{"status": "active", "size": float64(len(data)), "virtual_size": float64(len(data)),
		"checksum": hex.EncodeToString(sum[:]), "os_hash_algo": "sha512", "os_hash_value": hex.EncodeToString(sha[:]), "stores": "file"} {
		if img[k] != want {
			t.Errorf("after upload %s = %v, want %v", k, img[k], want)
		}
	}

	get := e.call("GET", "/v2/images/"+id+"/file", e.member, nil).Must(t, http.StatusOK)
	if get.Raw != string(data) || get.Header.Get("Content-MD5") != img["checksum"] {
		t.Errorf("download: %d bytes, Content-MD5 %q", len(get.Raw), get.Header.Get("Content-MD5"))
	}
	part := e.call("GET", "/v2/images/"+id+"/file", e.member, nil, "Range", "bytes=10-19").Must(t, http.StatusPartialContent)
	if part.Raw != string(data[10:20]) || part.Header.Get("Content-Range") != fmt.Sprintf("bytes 10-19/%d", len(data)) {
		t.Errorf("range: %q %q", part.Raw, part.Header.Get("Content-Range"))
	}
	tail := e.call("GET", "/v2/images/"+id+"/file", e.member, nil, "Range", "bytes=-5").Must(t, http.StatusPartialContent)
	if tail.Raw != string(data[len(data)-5:]) {
		t.Errorf("suffix range: %q", tail.Raw)
	}
	e.call("GET", "/v2/images/"+id+"/file", e.member, nil, "Range", fmt.Sprintf("bytes=%d-", len(data))).Must(t, http.StatusRequestedRangeNotSatisfiable)

	again := e.upload(e.member, id, data).Must(t, http.StatusConflict)
	if !strings.Contains(again.Raw, "active to saving") {
		t.Errorf("second upload: %s", again.Raw)
	}
	e.call("DELETE", "/v2/images/"+id, e.member, nil).Must(t, http.StatusNoContent)
	e.call("GET", "/v2/images/"+id, e.member, nil).Must(t, http.StatusNotFound)
	e.upload(e.member, id, data).Must(t, http.StatusNotFound)
	assertNoData(t, e)
}

// assertNoData fails when the file store or the staging area holds anything.
func assertNoData(t *testing.T, e *testEnv) {
	t.Helper()
	for _, dir := range []string{filepath.Join(e.dataDir, "file"), e.svc.opts.StagingDir} {
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			t.Errorf("left behind in %s: %s", dir, en.Name())
		}
	}
}

func TestUploadRefusesWrongOrUnsafeFormats(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Fatal("qemu-img is required (apt-get install qemu-utils); scripts/test.sh installs it")
	}
	e := newTestEnv(t)
	dir := t.TempDir()
	qemuImg := func(args ...string) []byte {
		t.Helper()
		out := filepath.Join(dir, fmt.Sprintf("img%d", len(args)))
		if b, err := exec.Command("qemu-img", append(append([]string{"create"}, args...), out, "1M")...).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img: %v %s", err, b)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	qcow := qemuImg("-f", "qcow2")
	backed := qemuImg("-f", "qcow2", "-b", "/etc/passwd", "-F", "raw")
	dataFile := qemuImg("-f", "qcow2", "-o", "data_file="+filepath.Join(dir, "external.raw"))
	cases := []struct {
		name, disk string
		data       []byte
		want       int
		says       string
	}{
		{"raw declared qcow2", "qcow2", rawData(4096), http.StatusBadRequest, "is raw but disk_format is qcow2"},
		{"qcow2 declared raw", "raw", qcow, http.StatusBadRequest, "is qcow2 but disk_format is raw"},
		{"backing file", "qcow2", backed, http.StatusBadRequest, "backing file"},
		{"data file", "qcow2", dataFile, http.StatusBadRequest, "data file"},
		{"real qcow2", "qcow2", qcow, http.StatusNoContent, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := e.create(e.member, map[string]any{"name": c.name, "disk_format": c.disk, "container_format": "bare"})["id"].(string)
			res := e.upload(e.member, id, c.data).Must(t, c.want)
			if !strings.Contains(res.Raw, c.says) {
				t.Errorf("message %q does not say %q", res.Raw, c.says)
			}
			img := e.call("GET", "/v2/images/"+id, e.member, nil).Body
			if c.want == http.StatusNoContent {
				if img["status"] != "active" || img["virtual_size"] != float64(1<<20) {
					t.Errorf("qcow2: status %v virtual_size %v", img["status"], img["virtual_size"])
				}
				return
			}
			if img["status"] != "queued" || img["size"] != nil {
				t.Errorf("a refused upload left status %v size %v", img["status"], img["size"])
			}
			e.call("DELETE", "/v2/images/"+id, e.member, nil).Must(t, http.StatusNoContent)
		})
	}
	e.call("GET", "/v2/images?name=real%20qcow2", e.member, nil).Must(t, http.StatusOK)
}

func TestUploadChecks(t *testing.T) {
	e := newTestEnv(t)
	noFormats := e.create(e.member, map[string]any{"name": "bare"})["id"].(string)
	res := e.upload(e.member, noFormats, rawData(10)).Must(t, http.StatusBadRequest)
	if !strings.Contains(res.Raw, "disk_format, container_format must be set") {
		t.Errorf("upload without formats: %s", res.Raw)
	}
	id := e.create(e.member, map[string]any{"disk_format": "raw", "container_format": "bare"})["id"].(string)
	e.call("PUT", "/v2/images/"+id+"/file", e.member, "x", "Content-Type", "text/plain").Must(t, http.StatusUnsupportedMediaType)
	e.upload(e.reader, id, rawData(10)).Must(t, http.StatusForbidden)
	e.upload(e.other, id, rawData(10)).Must(t, http.StatusNotFound)
	e.call("GET", "/v2/images/"+id+"/file", e.member, nil).Must(t, http.StatusNoContent)
}

// failingReader returns some data, then an error: a client that goes away mid-upload.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := min(len(p), f.n)
	copy(p, rawData(n))
	f.n -= n
	return n, nil
}

func TestInterruptedUploadLeavesImageQueued(t *testing.T) {
	e := newTestEnv(t)
	id := e.create(e.member, map[string]any{"disk_format": "raw", "container_format": "bare"})["id"].(string)
	req, _ := http.NewRequest("PUT", e.api.BaseURL+"/v2/images/"+id+"/file", &failingReader{n: 5 << 20})
	req.Header.Set("X-Auth-Token", e.member)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.ContentLength = 10 << 20
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		img := e.call("GET", "/v2/images/"+id, e.member, nil).Body
		if img["status"] == "queued" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after an interrupted upload the image is %v", img["status"])
		}
		time.Sleep(20 * time.Millisecond)
	}
	assertNoData(t, e)
	e.upload(e.member, id, rawData(100)).Must(t, http.StatusNoContent)
}

func TestQuotas(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Limits.Count = 2
		o.Limits.Size = 1 << 20
	})
	a := e.create(e.member, map[string]any{"disk_format": "raw", "container_format": "bare"})["id"].(string)
	b := e.create(e.member, map[string]any{"disk_format": "raw", "container_format": "bare"})["id"].(string)
	res := e.call("POST", "/v2/images", e.member, map[string]any{"name": "third"}).Must(t, http.StatusRequestEntityTooLarge)
	if !strings.Contains(res.Raw, "limit is 2") {
		t.Errorf("count quota: %s", res.Raw)
	}
	e.create(e.other, map[string]any{"name": "other projects have their own count"})
	e.upload(e.member, a, rawData(800<<10)).Must(t, http.StatusNoContent)
	e.upload(e.member, b, rawData(400<<10)).Must(t, http.StatusRequestEntityTooLarge)
	img := e.call("GET", "/v2/images/"+b, e.member, nil).Body
	if img["status"] != "queued" {
		t.Errorf("after a quota refusal the image is %v", img["status"])
	}
	usage := e.call("GET", "/v2/info/usage", e.member, nil).Must(t, http.StatusOK).Obj("usage")
	if c := usage["image_count_total"].(map[string]any); c["usage"] != 2.0 || c["limit"] != 2.0 {
		t.Errorf("usage: %v", usage)
	}
	// Streaming past the quota without a Content-Length is stopped mid-stream.
	req, _ := http.NewRequest("PUT", e.api.BaseURL+"/v2/images/"+b+"/file", io.MultiReader(bytes.NewReader(rawData(300<<10))))
	req.Header.Set("X-Auth-Token", e.member)
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked upload over quota: %d", resp.StatusCode)
	}
	entries, _ := os.ReadDir(filepath.Join(e.dataDir, "file"))
	if len(entries) != 1 {
		t.Errorf("the store holds %d files, want the one active image", len(entries))
	}
}
