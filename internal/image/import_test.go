package image

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"

	"github.com/gostack/gostack/internal/platform/apitest"
)

// stage puts data into an image's staging area.
func (e *testEnv) stage(token, id string, data []byte) apitest.Response {
	e.t.Helper()
	return e.call("PUT", "/v2/images/"+id+"/stage", token, data, "Content-Type", "application/octet-stream")
}

// importBody is the body of POST /v2/images/{id}/import.
func importBody(method, uri string) map[string]any {
	m := map[string]any{"name": method}
	if uri != "" {
		m["uri"] = uri
	}
	return map[string]any{"method": m}
}

// stagedFiles counts the files in the staging directory.
func stagedFiles(e *testEnv) int {
	entries, _ := os.ReadDir(e.svc.opts.StagingDir)
	return len(entries)
}

func TestImportGlanceDirect(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("GET", "/v2/info/import", e.member, nil).Must(t, http.StatusOK)
	oracle(t, "GET", "/v2/info/import", res.Status, res.Raw)
	if methods := res.Obj("import-methods")["value"].([]any); !slices.Equal(methods, []any{"glance-direct"}) {
		t.Errorf("import methods: %v", methods)
	}
	created := e.call("POST", "/v2/images", e.member, map[string]any{"disk_format": "raw", "container_format": "bare"}).Must(t, http.StatusCreated)
	if m := created.Header.Get("OpenStack-image-import-methods"); m != "glance-direct" {
		t.Errorf("OpenStack-image-import-methods: %q", m)
	}
	id := created.Body["id"].(string)
	data := rawData(1<<20 + 333)

	e.call("POST", "/v2/images/"+id+"/import", e.member, importBody("glance-direct", "")).Must(t, http.StatusConflict)
	e.stage(e.reader, id, data).Must(t, http.StatusForbidden)
	e.stage(e.other, id, data).Must(t, http.StatusNotFound)
	e.call("PUT", "/v2/images/"+id+"/stage", e.member, data, "Content-Type", "text/plain").Must(t, http.StatusUnsupportedMediaType)
	if img := e.show(e.member, id); img["status"] != "queued" || stagedFiles(e) != 0 {
		t.Fatalf("refused stages left status %v, %d staged files", img["status"], stagedFiles(e))
	}

	e.stage(e.member, id, data).Must(t, http.StatusNoContent)
	if img := e.show(e.member, id); img["status"] != "uploading" || img["size"] != nil {
		t.Errorf("after staging: status %v size %v", img["status"], img["size"])
	}
	if stagedFiles(e) != 1 {
		t.Errorf("%d staged files", stagedFiles(e))
	}
	e.stage(e.member, id, data).Must(t, http.StatusConflict)
	e.upload(e.member, id, data).Must(t, http.StatusConflict)
	e.call("POST", "/v2/images/"+id+"/import", e.other, importBody("glance-direct", "")).Must(t, http.StatusNotFound)
	e.call("POST", "/v2/images/"+id+"/import", e.reader, importBody("glance-direct", "")).Must(t, http.StatusForbidden)
	for _, body := range []any{map[string]any{}, importBody("copy-image", ""), importBody("web-download", "http://127.0.0.1:1/x"),
		importBody("", ""), "not json"} {
		e.call("POST", "/v2/images/"+id+"/import", e.member, body).Must(t, http.StatusBadRequest)
	}
	if img := e.show(e.member, id); img["status"] != "uploading" {
		t.Errorf("refused imports left status %v", img["status"])
	}

	e.call("POST", "/v2/images/"+id+"/import", e.member, importBody("glance-direct", "")).Must(t, http.StatusAccepted)
	img := e.waitStatus(e.member, id, "active", "queued")
	if img["status"] != "active" || img["checksum"] != md5Hex(data) || img["size"] != float64(len(data)) || img["os_hash_algo"] != "sha512" {
		t.Errorf("after import: %v", img)
	}
	if got := e.call("GET", "/v2/images/"+id+"/file", e.member, nil).Must(t, http.StatusOK); got.Raw != string(data) {
		t.Errorf("downloaded %d bytes, imported %d", len(got.Raw), len(data))
	}
	if stagedFiles(e) != 0 || storedFiles(e) != 1 {
		t.Errorf("after import: %d staged, %d stored files", stagedFiles(e), storedFiles(e))
	}
	mustSay(t, e.call("POST", "/v2/images/"+id+"/import", e.member, importBody("glance-direct", "")), http.StatusConflict, "staged")
	e.stage(e.member, id, data).Must(t, http.StatusConflict)

	// The formats must be set before an import (Glance: 409); staging does not need them.
	bare := e.create(e.member, map[string]any{"name": "no formats"})["id"].(string)
	e.stage(e.member, bare, rawData(10)).Must(t, http.StatusNoContent)
	mustSay(t, e.call("POST", "/v2/images/"+bare+"/import", e.member, importBody("glance-direct", "")), http.StatusConflict, "needs to be set")
	e.call("DELETE", "/v2/images/"+bare, e.member, nil).Must(t, http.StatusNoContent)
	if stagedFiles(e) != 0 {
		t.Errorf("deleting a staged image left %d staged files", stagedFiles(e))
	}
}

func TestImportOfWrongFormatRequeues(t *testing.T) {
	e := newTestEnv(t)
	id := e.create(e.member, map[string]any{"disk_format": "qcow2", "container_format": "bare"})["id"].(string)
	e.stage(e.member, id, rawData(4096)).Must(t, http.StatusNoContent)
	e.call("POST", "/v2/images/"+id+"/import", e.member, importBody("glance-direct", "")).Must(t, http.StatusAccepted)
	img := e.waitStatus(e.member, id, "active", "queued")
	if img["status"] != "queued" || img["size"] != nil || img["checksum"] != nil {
		t.Errorf("an import of raw data declared qcow2: %v", img)
	}
	e.svc.Wait()
	assertNoData(t, e)
	// The image may be staged again.
	e.stage(e.member, id, rawData(10)).Must(t, http.StatusNoContent)
}

func TestImportWebDownload(t *testing.T) {
	data := rawData(3<<20 + 5)
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cirros.img" {
			http.NotFound(w, r)
			return
		}
		io.Copy(w, bytes.NewReader(data))
	}))
	t.Cleanup(src.Close)

	off := newTestEnv(t)
	id := off.rawImage(off.member, nil)
	mustSay(t, off.call("POST", "/v2/images/"+id+"/import", off.member, importBody("web-download", src.URL+"/cirros.img")),
		http.StatusBadRequest, "web-download")
	if img := off.show(off.member, id); img["status"] != "queued" {
		t.Errorf("a refused web-download left %v", img["status"])
	}

	e := newTestEnv(t, func(o *Options) { o.ImportMethods = []string{"glance-direct", "web-download"} })
	methods := e.call("GET", "/v2/info/import", e.member, nil).Must(t, http.StatusOK).Obj("import-methods")["value"].([]any)
	if !slices.Equal(methods, []any{"glance-direct", "web-download"}) {
		t.Errorf("import methods: %v", methods)
	}
	id = e.rawImage(e.member, nil)
	for _, uri := range []string{"", "ftp://127.0.0.1/x", "not a url", "http://"} {
		e.call("POST", "/v2/images/"+id+"/import", e.member, importBody("web-download", uri)).Must(t, http.StatusBadRequest)
	}
	e.call("POST", "/v2/images/"+id+"/import", e.member, importBody("web-download", src.URL+"/cirros.img")).Must(t, http.StatusAccepted)
	img := e.waitStatus(e.member, id, "active", "queued")
	if img["status"] != "active" || img["checksum"] != md5Hex(data) || img["size"] != float64(len(data)) {
		t.Errorf("after web-download: %v", img)
	}
	mustSay(t, e.call("POST", "/v2/images/"+id+"/import", e.member, importBody("web-download", src.URL+"/cirros.img")),
		http.StatusConflict, "queued")

	missing := e.rawImage(e.member, nil)
	e.call("POST", "/v2/images/"+missing+"/import", e.member, importBody("web-download", src.URL+"/missing")).Must(t, http.StatusAccepted)
	e.svc.Wait()
	if img := e.show(e.member, missing); img["status"] != "queued" || img["size"] != nil {
		t.Errorf("after a web-download of a 404: %v %v", img["status"], img["size"])
	}
	if storedFiles(e) != 1 || stagedFiles(e) != 0 {
		t.Errorf("after a failed web-download: %d stored, %d staged files", storedFiles(e), stagedFiles(e))
	}
	// A staged image is not queued: web-download refuses it.
	staged := e.rawImage(e.member, nil)
	e.stage(e.member, staged, rawData(10)).Must(t, http.StatusNoContent)
	e.call("POST", "/v2/images/"+staged+"/import", e.member, importBody("web-download", src.URL+"/cirros.img")).Must(t, http.StatusConflict)
}

func TestStagingQuotaAndMethods(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Limits.Staged = 1 << 20 })
	a, b := e.rawImage(e.member, nil), e.rawImage(e.member, nil)
	mustSay(t, e.stage(e.member, a, rawData(2<<20)), http.StatusRequestEntityTooLarge, "staged")
	// Without a Content-Length the stage is stopped mid-stream.
	req, _ := http.NewRequest("PUT", e.api.BaseURL+"/v2/images/"+a+"/stage", io.MultiReader(bytes.NewReader(rawData(2<<20))))
	req.Header.Set("X-Auth-Token", e.member)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked stage over quota: %d", resp.StatusCode)
	}
	if img := e.show(e.member, a); img["status"] != "queued" || stagedFiles(e) != 0 {
		t.Errorf("refused stages left status %v and %d staged files", img["status"], stagedFiles(e))
	}
	e.stage(e.member, a, rawData(600<<10)).Must(t, http.StatusNoContent)
	// The generated spec wrongly makes usage an array; Glance's api-ref sample is an object.
	res := e.call("GET", "/v2/info/usage", e.member, nil).Must(t, http.StatusOK)
	if u := res.Obj("usage", "image_stage_total"); u["limit"] != 1.0 {
		t.Errorf("image_stage_total: %v", u)
	}
	e.stage(e.member, b, rawData(600<<10)).Must(t, http.StatusRequestEntityTooLarge)
	e.stage(e.other, e.rawImage(e.other, nil), rawData(600<<10)).Must(t, http.StatusNoContent) // another project's quota
	// Importing frees the staging quota.
	e.call("POST", "/v2/images/"+a+"/import", e.member, importBody("glance-direct", "")).Must(t, http.StatusAccepted)
	e.waitStatus(e.member, a, "active")
	e.stage(e.member, b, rawData(600<<10)).Must(t, http.StatusNoContent)

	noDirect := newTestEnv(t, func(o *Options) { o.ImportMethods = []string{"web-download"} })
	id := noDirect.rawImage(noDirect.member, nil)
	noDirect.stage(noDirect.member, id, rawData(10)).Must(t, http.StatusNotFound)
	noDirect.call("POST", "/v2/images/"+id+"/import", noDirect.member, importBody("glance-direct", "")).Must(t, http.StatusBadRequest)
	if m := noDirect.call("POST", "/v2/images", noDirect.member, map[string]any{}).Must(t, http.StatusCreated).Header.Get("OpenStack-image-import-methods"); m != "web-download" {
		t.Errorf("OpenStack-image-import-methods: %q", m)
	}
}
