package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gostack/gostack/bench/internal/harness"
)

// rate returns bytes per second over a phase.
func rate(p harness.Phase, bytes int64) float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(bytes) / p.Elapsed.Seconds()
}

// roundResult is one round: the dd floor, then the upload and download through the API.
type roundResult struct {
	ddWrite, ddRead, ddDirect ddRun
	ddResident                float64 // share of the dd file cached before its read; -1 unknown
	directErr                 string  // why the uncached read could not run
	upload                    harness.Phase
	download                  harness.Phase // into io.Discard
	downloadMD5               harness.Phase // through md5, checked against the image's checksum
	imageResident             float64       // share of the image file cached before the download; -1 unknown
}

// runRound measures the dd floor, then uploads one image of size bytes, downloads it, downloads
// it again through md5, and deletes it.
func runRound(ctx context.Context, cl *client, srv *harness.Server, w *harness.WorkDir, size int64, want string, i int) (roundResult, error) {
	var r roundResult
	if err := floor(ctx, &r, filepath.Join(w.Path, "dd.bin"), size); err != nil {
		return r, err
	}
	id, err := cl.createImage(ctx, fmt.Sprintf("bench-transfer-%d", i+1), nil)
	if err != nil {
		return r, err
	}
	if r.upload, err = harness.Watch(srv.PID(), func() error { return cl.upload(ctx, id, newGenerator(size), size) }); err != nil {
		return r, err
	}
	img, err := cl.showImage(ctx, id)
	if err != nil {
		return r, err
	}
	if err := checkUploaded(img, size, want); err != nil {
		return r, err
	}
	r.imageResident = -1
	if path := imageFile(srv.State, id); path != "" {
		r.imageResident = residentFraction(path)
	}
	if r.download, err = timedDownload(ctx, cl, srv.PID(), id, size, want, false); err != nil {
		return r, err
	}
	if r.downloadMD5, err = timedDownload(ctx, cl, srv.PID(), id, size, want, true); err != nil {
		return r, err
	}
	return r, cl.deleteImage(ctx, id)
}

// timedDownload downloads an image while watching the server, and checks what arrived.
func timedDownload(ctx context.Context, cl *client, pid int, id string, size int64, want string, verify bool) (harness.Phase, error) {
	var got downloaded
	p, err := harness.Watch(pid, func() (err error) { got, err = cl.download(ctx, id, verify); return err })
	if err != nil {
		return p, err
	}
	return p, checkDownloaded(got, size, want, verify)
}

// floor writes the dd file with fsync, reads it back (from the page cache, as a freshly
// written file is) and once more bypassing the cache, then removes it.
func floor(ctx context.Context, r *roundResult, path string, size int64) error {
	defer os.Remove(path)
	var err error
	if r.ddWrite, err = ddWrite(ctx, path, size); err != nil {
		return err
	}
	r.ddResident = residentFraction(path)
	if r.ddRead, err = ddRead(ctx, path, false); err != nil {
		return err
	}
	if r.ddDirect, err = ddRead(ctx, path, true); err != nil {
		r.directErr = firstLine(err.Error()) // O_DIRECT is not everywhere (tmpfs); informational
	}
	return nil
}

// checkUploaded requires an active image of the generated size and md5.
func checkUploaded(img imageRecord, size int64, want string) error {
	switch {
	case img.Status != "active":
		return fmt.Errorf("image %s is %q after its upload, want active", img.ID, img.Status)
	case img.Size == nil || *img.Size != size:
		return fmt.Errorf("image %s has size %v after uploading %d bytes", img.ID, img.Size, size)
	case img.Checksum != want:
		return fmt.Errorf("image %s has checksum %s; the uploaded data's md5 is %s", img.ID, img.Checksum, want)
	}
	return nil
}

// checkDownloaded requires the whole image back, with the right Content-MD5 and md5.
func checkDownloaded(d downloaded, size int64, want string, verify bool) error {
	switch {
	case d.n != size:
		return fmt.Errorf("downloaded %d bytes of %d", d.n, size)
	case d.contentMD5 != want:
		return fmt.Errorf("download's Content-MD5 is %q, want %s", d.contentMD5, want)
	case verify && d.md5 != want:
		return fmt.Errorf("downloaded data has md5 %s, want %s", d.md5, want)
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
