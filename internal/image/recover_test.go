package image

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func TestRecoverRequeuesCutOffUploads(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	saving := e.create(e.member, map[string]any{"disk_format": "raw", "container_format": "bare"})["id"].(string)
	staged := e.create(e.member, map[string]any{"disk_format": "raw", "container_format": "bare"})["id"].(string)
	if err := e.svc.store.SetStatus(ctx, saving, StatusQueued, StatusSaving, e.svc.now()); err != nil {
		t.Fatal(err)
	}
	e.call("PUT", "/v2/images/"+staged+"/stage", e.member, rawData(1000), "Content-Type", "application/octet-stream").Must(t, http.StatusNoContent)
	if err := e.svc.store.SetStatus(ctx, staged, StatusUploading, StatusImporting, e.svc.now()); err != nil {
		t.Fatal(err)
	}
	partial := filepath.Join(e.svc.opts.StagingDir, "."+staged+".123.part")
	if err := os.WriteFile(partial, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{saving, staged} {
		if img := e.call("GET", "/v2/images/"+id, e.member, nil).Body; img["status"] != "queued" {
			t.Errorf("after Recover image %s is %v", id, img["status"])
		}
	}
	assertNoData(t, e)
	e.upload(e.member, saving, rawData(10)).Must(t, http.StatusNoContent)
}
