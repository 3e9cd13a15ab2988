package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// stageData is PUT /v2/images/{id}/stage, the first half of a glance-direct import: the data
// goes to the staging directory (a temporary file renamed when complete) and the image becomes
// uploading.
func (s *Service) stageData(w http.ResponseWriter, r *http.Request) error {
	if !slices.Contains(s.opts.ImportMethods, "glance-direct") {
		return httpapi.NotFound("The glance-direct import method is not enabled.")
	}
	a, err := s.loadFor(r, "upload_image")
	if err != nil {
		return err
	}
	if err := checkOctetStream(r); err != nil {
		return err
	}
	if err := s.readyForData(a.img, StatusUploading); err != nil {
		return err
	}
	ctx := r.Context()
	room, err := s.uploadRoom(ctx, a.img.Owner, true, true, r.ContentLength)
	if err != nil {
		return err
	}
	n, err := s.writeStaged(a.img.ID, r.Body, room)
	if err != nil {
		return err
	}
	if err := s.store.SetStaged(ctx, a.img.ID, StatusQueued, StatusUploading, &n, s.now()); err != nil {
		s.removeStaged(a.img.ID)
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stagedPath is where an image's staged data lives.
func (s *Service) stagedPath(id string) string { return filepath.Join(s.opts.StagingDir, id) }

// writeStaged copies at most room bytes into the staging file; on any error nothing is left.
func (s *Service) writeStaged(id string, r io.Reader, room int64) (int64, error) {
	tmp, err := os.CreateTemp(s.opts.StagingDir, "."+id+".*.part")
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(tmp, io.LimitReader(r, room+1))
	if err == nil && n > room {
		err = httpapi.RequestTooLarge("Image %s: the staged data exceeds the size allowed (the image size cap or the project's remaining staging quota).", id)
	} else if err != nil {
		err = httpapi.BadRequest("Image %s: the upload was interrupted before all data arrived; nothing was staged.", id)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.stagedPath(id))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, err
	}
	return n, nil
}

// removeStaged deletes staged data, if any.
func (s *Service) removeStaged(id string) {
	if err := os.Remove(s.stagedPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Error("image: removing staged data", "image", id, "error", err)
	}
}

// importRequest is the body of POST /v2/images/{id}/import.
type importRequest struct {
	Method struct {
		Name string `json:"name"`
		URI  string `json:"uri"`
	} `json:"method"`
	Stores    []string `json:"stores"`
	AllStores bool     `json:"all_stores"`
}

// importImage is POST /v2/images/{id}/import: it checks the request, moves the image to
// importing and finishes in the background (202), as Glance's import tasks do.
func (s *Service) importImage(w http.ResponseWriter, r *http.Request) error {
	var req importRequest
	if err := httpapi.DecodeJSON(r, &req); err != nil {
		return err
	}
	method := req.Method.Name
	if !slices.Contains(s.opts.ImportMethods, method) {
		return httpapi.BadRequest("Import method %q is not available; enabled methods: %v", method, s.opts.ImportMethods)
	}
	for _, name := range req.Stores {
		if _, ok := s.stores.Get(name); !ok {
			return httpapi.Conflict("Unknown store %q", name)
		}
	}
	a, err := s.loadFor(r, "upload_image")
	if err != nil {
		return err
	}
	from := StatusUploading
	switch method {
	case "glance-direct":
		if a.img.Status != StatusUploading {
			return httpapi.Conflict("Image needs to be staged before 'glance-direct' method can be used")
		}
	case "web-download":
		if err := checkWebURI(req.Method.URI); err != nil {
			return err
		}
		if a.img.Status != StatusQueued {
			return httpapi.Conflict("Image needs to be in 'queued' status to use 'web-download', not %q", a.img.Status)
		}
		from = StatusQueued
	}
	// As Glance: the formats are checked after the status, and their absence is a conflict.
	if a.img.ContainerFormat == "" {
		return httpapi.Conflict("'container_format' needs to be set before import")
	}
	if a.img.DiskFormat == "" {
		return httpapi.Conflict("'disk_format' needs to be set before import")
	}
	if from == StatusQueued {
		// web-download passes through uploading, as Glance does, so the state machine holds.
		if err := s.store.SetStaged(r.Context(), a.img.ID, StatusQueued, StatusUploading, nil, s.now()); err != nil {
			return err
		}
	}
	if err := s.store.SetStatus(r.Context(), a.img.ID, StatusUploading, StatusImporting, s.now()); err != nil {
		return err
	}
	s.imports.start(a.img, method, req.Method.URI)
	w.WriteHeader(http.StatusAccepted)
	return nil
}

func checkWebURI(raw string) error {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return httpapi.BadRequest("web-download needs an http or https \"uri\", not %q", raw)
	}
	return nil
}

// importer runs imports in the background.
type importer struct {
	s       *Service
	running sync.WaitGroup
	client  *http.Client
}

func newImporter(s *Service) *importer {
	return &importer{s: s, client: &http.Client{Timeout: 6 * time.Hour}}
}

func (im *importer) wait() { im.running.Wait() }

// start imports an image in status importing from its staged data or a URL.
func (im *importer) start(img Image, method, uri string) {
	im.running.Add(1)
	go func() {
		defer im.running.Done()
		if err := im.run(img, method, uri); err != nil {
			im.s.log.Error("image: import failed; the image is queued again", "image", img.ID, "method", method, "error", err)
		}
	}()
}

func (im *importer) run(img Image, method, uri string) error {
	s := im.s
	ctx := context.Background()
	src, err := im.open(ctx, img.ID, method, uri)
	if err != nil {
		_ = s.store.SetStaged(ctx, img.ID, StatusImporting, StatusQueued, nil, s.now())
		s.removeStaged(img.ID)
		return err
	}
	defer src.Close()
	room, err := s.uploadRoom(ctx, img.Owner, false, false, -1)
	if err == nil {
		err = s.ingestAndActivate(ctx, img, src, room, StatusImporting)
	} else {
		_ = s.store.SetStaged(ctx, img.ID, StatusImporting, StatusQueued, nil, s.now())
	}
	s.removeStaged(img.ID)
	return err
}

// open returns the data of an import.
func (im *importer) open(ctx context.Context, id, method, uri string) (io.ReadCloser, error) {
	if method == "glance-direct" {
		return os.Open(im.s.stagedPath(id))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	resp, err := im.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("web-download %s: %s", uri, resp.Status)
	}
	return resp.Body, nil
}
