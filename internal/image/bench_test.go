package image

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkListImages measures GET /v2/images?limit=1000 over 1,000 images, in process
// (no network, no client), so the figure is the server's own cost.
func BenchmarkListImages(b *testing.B) {
	e := newTestEnv(b)
	for i := range 1000 {
		e.create(e.member, map[string]any{"name": fmt.Sprintf("image-%04d", i), "disk_format": "qcow2",
			"container_format": "bare", "hw_disk_bus": "virtio", "tags": []string{"bench"}})
	}
	h := e.svc.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/v2/images?limit=1000", nil)
		req.Header.Set("X-Auth-Token", e.member)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}
