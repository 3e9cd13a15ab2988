package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gostack/gostack/internal/image/format"
	"github.com/gostack/gostack/internal/image/store"
	"github.com/gostack/gostack/internal/platform/httpapi"
)

// uploadData is PUT /v2/images/{id}/file: queued → saving → active, or back to queued with
// nothing stored when anything goes wrong (a disconnect, the store, a quota, the format).
func (s *Service) uploadData(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "upload_image")
	if err != nil {
		return err
	}
	if err := checkOctetStream(r); err != nil {
		return err
	}
	if err := s.readyForData(a.img, StatusSaving); err != nil {
		return err
	}
	ctx := r.Context()
	room, err := s.uploadRoom(ctx, a.img.Owner, false, true, r.ContentLength)
	if err != nil {
		return err
	}
	if err := s.store.SetStatus(ctx, a.img.ID, StatusQueued, StatusSaving, s.now()); err != nil {
		return err
	}
	if err := s.ingestAndActivate(ctx, a.img, r.Body, room, StatusSaving); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ingestAndActivate stores the data of an image in status from and makes it active; on
// failure the image goes back to queued and no data remains.
func (s *Service) ingestAndActivate(ctx context.Context, img Image, data io.Reader, room int64, from string) error {
	st, err := s.ingest(ctx, img, data, room)
	if err != nil {
		if rerr := s.store.SetStaged(context.WithoutCancel(ctx), img.ID, from, StatusQueued, nil, s.now()); rerr != nil && !isNotFound(rerr) {
			s.log.Error("image: returning an image to queued after a failed upload", "image", img.ID, "error", rerr)
		}
		return uploadError(img.ID, err)
	}
	if err := s.store.Activate(context.WithoutCancel(ctx), img.ID, from, st, s.now()); err != nil {
		s.deleteLocation(context.WithoutCancel(ctx), img.ID, st.Location)
		if isNotFound(err) {
			return httpapi.Errorf(http.StatusGone, "Image %s could not be found after upload. The image may have been deleted during the upload.", img.ID)
		}
		return err
	}
	return nil
}

// checkOctetStream requires the data's Content-Type, as Glance does.
func checkOctetStream(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if media, _, _ := mime.ParseMediaType(ct); ct != "" && media != "application/octet-stream" {
		return httpapi.Errorf(http.StatusUnsupportedMediaType, "Unsupported Content-Type %q: image data is application/octet-stream", ct)
	}
	return nil
}

// readyForData checks that an image may receive data now.
func (s *Service) readyForData(img Image, next string) error {
	if img.Status != StatusQueued {
		return transitionError(img.Status, next)
	}
	if next != StatusUploading && (img.DiskFormat == "" || img.ContainerFormat == "") {
		return httpapi.BadRequest("Properties disk_format, container_format must be set prior to saving data.")
	}
	return nil
}

// ingest streams data into the default store while hashing and inspecting it, then checks the
// inspected format against the declared one; refused data is deleted.
func (s *Service) ingest(ctx context.Context, img Image, data io.Reader, room int64) (stored, error) {
	insp := format.NewInspector()
	d := newDigestReader(data, s.opts.HashAlgo, insp)
	backend := s.stores.Default()
	loc, n, err := backend.Add(ctx, img.ID, d, room)
	d.Close()
	if d.readErr != nil && err != nil {
		return stored{}, fmt.Errorf("%w: %w", errInterrupted, d.readErr)
	}
	if err != nil {
		return stored{}, err
	}
	info := insp.Info()
	if err := s.checkFormat(info, img); err != nil {
		s.deleteLocation(context.WithoutCancel(ctx), img.ID, loc)
		return stored{}, err
	}
	checksum, osHash := d.sums()
	return stored{Size: n, VirtualSize: info.VirtualSize, Checksum: checksum, HashAlgo: s.opts.HashAlgo,
		HashValue: osHash, Location: loc}, nil
}

// checkFormat refuses unsafe images always, and data not in the declared disk_format when
// require_image_format_match is on. Data in a container other than bare or docker (ova, ovf,
// compressed) is an archive, not a disk, so only its safety is checked.
func (s *Service) checkFormat(info format.Info, img Image) error {
	if info.Unsafe != "" {
		return httpapi.BadRequest("Image data is refused: %s.", info.Unsafe)
	}
	if !s.opts.RequireFormatMatch || (img.ContainerFormat != "bare" && img.ContainerFormat != "docker" &&
		img.ContainerFormat != "ami" && img.ContainerFormat != "ari" && img.ContainerFormat != "aki") {
		return nil
	}
	if err := format.Check(info, img.DiskFormat); err != nil {
		return httpapi.BadRequest("Image data does not match the declared disk_format: %v.", err)
	}
	return nil
}

// uploadError maps a failed ingest to the client's error.
func uploadError(id string, err error) error {
	var apiErr *httpapi.Error
	switch {
	case errors.As(err, &apiErr):
		return err
	case errors.Is(err, store.ErrSizeLimit):
		return httpapi.RequestTooLarge("Image %s: the data exceeds the size allowed (the image size cap or the project's remaining quota).", id)
	case errors.Is(err, store.ErrStorageFull):
		return httpapi.RequestTooLarge("Image %s: there is not enough space in the store.", id)
	case errors.Is(err, store.ErrExists):
		return httpapi.Conflict("Image %s already has data.", id)
	case errors.Is(err, store.ErrWriteDenied):
		return httpapi.ServiceUnavailable("Image %s: the store denied the write.", id)
	case errors.Is(err, errInterrupted), errors.Is(err, context.Canceled):
		return httpapi.BadRequest("Image %s: the upload was interrupted before all data arrived; the image is queued again.", id)
	}
	return err
}

// errInterrupted is an upload whose data stopped coming: the client went away or its data
// source failed.
var errInterrupted = errors.New("image data interrupted")

// deleteData removes an image's stored and staged data; failures are logged, not returned,
// because the record is already gone.
func (s *Service) deleteData(ctx context.Context, img Image) {
	for _, loc := range img.Locations {
		s.deleteLocation(ctx, img.ID, loc)
	}
	s.removeStaged(img.ID)
}

func (s *Service) deleteLocation(ctx context.Context, id string, loc store.Location) {
	b, ok := s.backendFor(loc)
	if !ok || b.ReadOnly() {
		return
	}
	if err := b.Delete(ctx, loc); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("image: deleting image data", "image", id, "location", loc.URL, "error", err)
	}
}

// backendFor finds the store that holds a location: by the store name recorded with it, else
// by its URL.
func (s *Service) backendFor(loc store.Location) (store.Backend, bool) {
	if name, ok := loc.Metadata["store"].(string); ok {
		if b, ok := s.stores.Get(name); ok {
			return b, true
		}
	}
	return s.stores.ForLocation(loc.URL)
}

// downloadData is GET /v2/images/{id}/file, with Content-MD5 and single byte ranges.
func (s *Service) downloadData(w http.ResponseWriter, r *http.Request) error {
	a, err := s.loadFor(r, "download_image")
	if err != nil {
		return err
	}
	if a.img.Status == StatusDeactivated && !s.isAdmin(caller(r)) {
		return httpapi.Forbidden("The requested image has been deactivated. Image data download is prohibited.")
	}
	if len(a.img.Locations) == 0 || a.img.Size == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	size := *a.img.Size
	off, length, partial, err := parseRange(r.Header.Get("Range"), size)
	if err != nil {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		return err
	}
	loc := a.img.Locations[0]
	b, ok := s.backendFor(loc)
	if !ok {
		return fmt.Errorf("image %s: no configured store holds %s", a.img.ID, loc.URL)
	}
	rc, _, err := b.Get(r.Context(), loc, off, length)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return httpapi.NotFound("The data of image %s is missing from its store.", a.img.ID)
		}
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	h.Set("Accept-Ranges", "bytes")
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+length-1, size))
	} else if a.img.Checksum != "" {
		h.Set("Content-MD5", a.img.Checksum)
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(w, rc, buf); err != nil {
		s.log.Warn("image: download interrupted", "image", a.img.ID, "error", err)
	}
	return nil
}

// parseRange reads a single "bytes=a-b", "bytes=a-" or "bytes=-n" range. No header means the
// whole image; an unsatisfiable or malformed range is a 416.
func parseRange(header string, size int64) (off, length int64, partial bool, err error) {
	if header == "" {
		return 0, size, false, nil
	}
	bad := httpapi.Errorf(http.StatusRequestedRangeNotSatisfiable, "Requested range %q not satisfiable for an image of %d bytes.", header, size)
	spec, ok := strings.CutPrefix(strings.TrimSpace(header), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false, bad
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, false, bad
	}
	if first == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false, bad
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false, bad
	}
	end := size - 1
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
			return 0, 0, false, bad
		}
		end = min(end, size-1)
	}
	return start, end - start + 1, true, nil
}
