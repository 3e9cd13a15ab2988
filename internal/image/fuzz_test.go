package image

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"reflect"
	"testing"
)

// fuzzPatchTypes are the Content-Types FuzzPatch picks from by index; an index past them sends
// the fuzzed Content-Type itself.
var fuzzPatchTypes = []string{patchV21, patchV20, patchV21 + "; charset=UTF-8", "application/json",
	"application/json-patch+json", "", "text/plain"}

// printableASCII reports whether s can be sent as a header value as it is.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// FuzzPatch sends arbitrary bodies and Content-Types to PATCH /v2/images/{id}: the answer is
// never a 5xx, a 4xx leaves the image exactly as it was, and a 200 answers what is stored.
func FuzzPatch(f *testing.F) {
	seeds := []string{
		`[]`,
		`[{"op": "replace", "path": "/name", "value": "renamed"}]`,
		`[{"op": "add", "path": "/hw_disk_bus", "value": "virtio"}, {"op": "remove", "path": "/foo"}]`,
		`[{"op": "add", "path": "/foo", "value": "again"}]`,
		`[{"op": "replace", "path": "/missing", "value": "x"}]`,
		`[{"op": "remove", "path": "/name"}]`,
		`[{"op": "replace", "path": "/status", "value": "active"}]`,
		`[{"op": "add", "path": "/os_glance_x", "value": "x"}]`,
		`[{"op": "replace", "path": "/visibility", "value": "public"}]`,
		`[{"op": "replace", "path": "/visibility", "value": "community"}]`,
		`[{"op": "replace", "path": "/owner", "value": "someone"}]`,
		`[{"op": "replace", "path": "/min_ram", "value": "8"}]`,
		`[{"op": "replace", "path": "/min_ram", "value": 8}, {"op": "replace", "path": "/protected", "value": "yes"}]`,
		`[{"op": "replace", "path": "/protected", "value": true}, {"op": "replace", "path": "/protected", "value": false}]`,
		`[{"op": "replace", "path": "/tags", "value": ["a", "b"]}]`,
		`[{"op": "replace", "path": "/tags", "value": ["a", "a"]}]`,
		`[{"op": "replace", "path": "/disk_format", "value": "qcow2"}]`,
		`[{"op": "replace", "path": "/name", "value": null}]`,
		`[{"op": "add", "path": "/a~1b~0c", "value": "escaped"}]`,
		`[{"op": "add", "path": "/a~2", "value": "bad escape"}]`,
		`[{"op": "add", "path": "", "value": "x"}]`,
		`[{"op": "add", "path": "/", "value": "x"}]`,
		`[{"op": "add", "path": "/a/b", "value": "x"}]`,
		`[{"op": "add", "path": "name", "value": "x"}]`,
		`[{"op": "move", "from": "/name", "path": "/x"}]`,
		`[{"op": "add", "path": "/x"}]`,
		`[{"add": "/name", "value": "v20"}]`,
		`[{"replace": "/name", "value": "v20"}]`,
		`[{"replace": "/name", "remove": "/foo", "value": "x"}]`,
		`[{"op": "add", "path": "/nul", "value": "a\u0000b"}]`,
		`[{"op": "add", "path": "/min_disk", "value": 1e400}]`,
		`[{"op": "add", "path": "/min_disk", "value": -0.0}]`,
		`[null, 1, "x", []]`,
		`{"op": "add"}`,
		`not json`,
		``,
		`[{"op": "replace", "path": "/name", "value": "x"}] trailing`,
	}
	for _, s := range seeds {
		f.Add(uint8(0), "", []byte(s))
		f.Add(uint8(1), "", []byte(s))
	}
	f.Add(uint8(3), "", []byte(seeds[1]))
	f.Add(uint8(200), "application/openstack-images-v2.1-json-patch; q=1", []byte(seeds[1]))
	f.Add(uint8(200), "APPLICATION/OPENSTACK-IMAGES-V2.1-JSON-PATCH", []byte(seeds[1]))
	f.Add(uint8(5), "", []byte(seeds[1]))

	e := newTestEnv(f)
	id := e.rawImage(e.member, map[string]any{"name": "fuzz", "foo": "bar", "tags": []string{"t"}})
	f.Fuzz(func(t *testing.T, kind uint8, contentType string, body []byte) {
		e := e.as(t)
		if int(kind) < len(fuzzPatchTypes) {
			contentType = fuzzPatchTypes[kind]
		} else if !printableASCII(contentType) {
			t.Skip("not a header value")
		}
		before := e.show(e.member, id)
		res := e.call("PATCH", "/v2/images/"+id, e.member, body, "Content-Type", contentType)
		switch {
		case res.Status >= 500:
			t.Fatalf("PATCH %q %q: %d %s", contentType, body, res.Status, message(res))
		case res.Status == http.StatusOK:
			if after := e.show(e.member, id); !reflect.DeepEqual(res.Body, after) {
				t.Fatalf("PATCH %q answered %v but stored %v", body, res.Body, after)
			}
		case res.Status >= 400:
			sameImage(t, e, e.member, id, before, "a refused patch")
		default:
			t.Fatalf("PATCH %q: unexpected status %d", body, res.Status)
		}
	})
}

// fuzzDiskFormats are the disk formats FuzzUpload declares, by index.
var fuzzDiskFormats = []string{"raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "ploop", "ami", "aki", "ari"}

// fuzzContainers are the container formats FuzzUpload declares, by index.
var fuzzContainers = []string{"bare", "ova", "docker"}

// seedQcow2 is a qcow2 v3 header of a 1 GiB disk; backing adds a backing file name.
func seedQcow2(backing bool) []byte {
	b := make([]byte, 1024)
	be := binary.BigEndian
	copy(b, "QFI\xfb")
	be.PutUint32(b[4:], 3)
	be.PutUint32(b[20:], 16) // cluster bits
	be.PutUint64(b[24:], 1<<30)
	be.PutUint32(b[96:], 4)
	be.PutUint32(b[100:], 112)
	if backing {
		be.PutUint64(b[8:], 512)
		be.PutUint32(b[16:], 11)
		copy(b[512:], "/etc/passwd")
	}
	return b
}

// seedVHD is a fixed VHD: data followed by the "conectix" footer.
func seedVHD() []byte {
	b := make([]byte, 4096+512)
	footer := b[4096:]
	copy(footer, "conectix")
	binary.BigEndian.PutUint32(footer[60:], 2) // fixed disk
	binary.BigEndian.PutUint64(footer[48:], 4096)
	var sum uint32
	for _, c := range footer {
		sum += uint32(c)
	}
	binary.BigEndian.PutUint32(footer[64:], ^sum)
	return b
}

// seedISO has the "CD001" volume descriptor of an ISO 9660 image.
func seedISO() []byte {
	b := make([]byte, 0x8800)
	copy(b[0x8001:], "CD001")
	binary.LittleEndian.PutUint32(b[0x8050:], 17)
	binary.LittleEndian.PutUint16(b[0x8080:], 2048)
	return b
}

// FuzzUpload uploads arbitrary bytes declared as each disk format: the answer is never a 5xx;
// a 204 leaves the image active with the data's size and md5, anything else leaves it queued
// with nothing stored.
func FuzzUpload(f *testing.F) {
	seeds := [][]byte{
		nil,
		[]byte("x"),
		rawData(512),
		rawData(70000),
		seedQcow2(false),
		seedQcow2(true),
		append([]byte("KDMV"), make([]byte, 1020)...),
		seedVHD(),
		append([]byte("vhdxfile"), make([]byte, 1<<16)...),
		append([]byte("<<< Oracle VM VirtualBox Disk Image >>>\n"), make([]byte, 1000)...),
		seedISO(),
		append([]byte("QFI\xfb"), 0, 0, 0),
		bytes.Repeat([]byte{0}, 4096),
	}
	for i, s := range seeds {
		for d := range fuzzDiskFormats {
			if d == 0 || d == i%len(fuzzDiskFormats) || d == 1 {
				f.Add(s, uint8(d), uint8(i%len(fuzzContainers)))
			}
		}
	}
	e := newTestEnv(f)
	f.Fuzz(func(t *testing.T, data []byte, disk, container uint8) {
		e := e.as(t)
		df, cf := fuzzDiskFormats[int(disk)%len(fuzzDiskFormats)], fuzzContainers[int(container)%len(fuzzContainers)]
		id := e.create(e.member, map[string]any{"disk_format": df, "container_format": cf})["id"].(string)
		res := e.upload(e.member, id, data)
		img := e.show(e.member, id)
		switch {
		case res.Status >= 500:
			t.Fatalf("%s/%s upload of %d bytes: %d %s", df, cf, len(data), res.Status, message(res))
		case res.Status == http.StatusNoContent:
			if img["status"] != "active" || img["checksum"] != md5Hex(data) || img["size"] != float64(len(data)) {
				t.Fatalf("%s/%s accepted, but the image is %v", df, cf, img)
			}
			if storedFiles(e) != 1 {
				t.Fatalf("%s/%s accepted, the store holds %d files", df, cf, storedFiles(e))
			}
		case res.Status >= 400:
			if img["status"] != "queued" || img["size"] != nil || img["checksum"] != nil {
				t.Fatalf("%s/%s refused (%d), but the image is %v", df, cf, res.Status, img)
			}
			if storedFiles(e) != 0 {
				t.Fatalf("%s/%s refused (%d), the store holds %d files", df, cf, res.Status, storedFiles(e))
			}
		default:
			t.Fatalf("%s/%s upload: unexpected status %d", df, cf, res.Status)
		}
		e.call("DELETE", "/v2/images/"+id, e.member, nil).Must(t, http.StatusNoContent)
		assertNoData(t, e)
	})
}
