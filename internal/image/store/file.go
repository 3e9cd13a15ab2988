package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// OptDataDir is the file store's data directory option, as in glance_store.
const OptDataDir = "filesystem_store_datadir"

func init() {
	Register("file", Factory{
		New: func(p Params) (Driver, error) {
			dir := p.Options[OptDataDir]
			if dir == "" {
				if p.StateDir == "" {
					return nil, fmt.Errorf("%s is not set and there is no state dir", OptDataDir)
				}
				dir = filepath.Join(p.StateDir, "images", p.Name)
			}
			return NewFile(dir)
		},
		Opts: []OptSpec{{Name: OptDataDir,
			Help: "Directory the file store keeps images in (default: images/<backend> in the state dir)."}},
	})
}

// File stores each image as a file named by its id in one directory. Writes go
// to a temporary file in the same directory and are linked into place only
// when complete and synced, so readers never see partial data.
type File struct {
	dir string // absolute, cleaned
}

// NewFile returns a file store keeping images in dir, creating it (mode 0750)
// when missing.
func NewFile(dir string) (*File, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("file store: data dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("file store: create data dir: %w", diskError(err))
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("file store: data dir: %w", diskError(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("file store: data dir %q is not a directory", abs)
	}
	return &File{dir: abs}, nil
}

// Dir returns the data directory.
func (f *File) Dir() string { return f.dir }

// Type returns "file".
func (f *File) Type() string { return "file" }

// ReadOnly returns false.
func (f *File) ReadOnly() bool { return false }

// Owns reports whether url is a file:// URL inside the data directory.
func (f *File) Owns(url string) bool {
	_, err := f.path(url)
	return err == nil
}

// Add streams r into <dir>/<imageID>. On any error nothing is left behind.
func (f *File) Add(ctx context.Context, imageID string, r io.Reader, maxSize int64) (Location, int64, error) {
	if err := checkImageID(imageID); err != nil {
		return Location{}, 0, err
	}
	final := filepath.Join(f.dir, imageID)
	if _, err := os.Lstat(final); err == nil {
		return Location{}, 0, fmt.Errorf("file store: image %s: %w", imageID, ErrExists)
	}
	tmp, err := os.CreateTemp(f.dir, "."+imageID+".*.part") // O_EXCL
	if err != nil {
		return Location{}, 0, fmt.Errorf("file store: create temporary file: %w", diskError(err))
	}
	n, err := writeAll(ctx, tmp, r, maxSize)
	if err == nil {
		err = commit(tmp, final)
	}
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return Location{}, 0, fmt.Errorf("file store: image %s: %w", imageID, err)
	}
	os.Remove(tmp.Name()) // the data now lives under final
	syncDir(f.dir)
	return Location{URL: fileURL(final), Metadata: map[string]any{}}, n, nil
}

// checkImageID accepts ids that are plain, non-hidden file names.
func checkImageID(id string) error {
	if id == "" || len(id) > 255 || strings.HasPrefix(id, ".") || strings.ContainsAny(id, "/\\\x00") {
		return fmt.Errorf("file store: invalid image id %q", id)
	}
	return nil
}

// copyBufs holds 1 MiB copy buffers, so concurrent uploads reuse memory.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// writeAll copies r into w, stopping at ctx's end or when more than maxSize
// bytes (maxSize >= 0) arrive, and syncs w. Read errors are the caller's;
// write errors are mapped to store errors.
func writeAll(ctx context.Context, w *os.File, r io.Reader, maxSize int64) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		nr, rerr := r.Read(buf)
		if nr > 0 {
			if maxSize >= 0 && n+int64(nr) > maxSize {
				return n, fmt.Errorf("more than %d bytes: %w", maxSize, ErrSizeLimit)
			}
			if _, err := w.Write(buf[:nr]); err != nil {
				return n, fmt.Errorf("write: %w", diskError(err))
			}
			n += int64(nr)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return n, fmt.Errorf("read image data: %w", rerr)
		}
	}
	if err := w.Sync(); err != nil {
		return n, fmt.Errorf("sync: %w", diskError(err))
	}
	return n, nil
}

// commit closes tmp and links it to final, failing with ErrExists rather than
// replacing data another upload completed first. Where hard links are not
// supported it falls back to a rename.
func commit(tmp *os.File, final string) error {
	if err := os.Chmod(tmp.Name(), 0o640); err != nil {
		return diskError(err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close: %w", diskError(err))
	}
	err := os.Link(tmp.Name(), final)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrExist):
		return ErrExists
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EOPNOTSUPP):
		if _, serr := os.Lstat(final); serr == nil {
			return ErrExists
		}
		if err := os.Rename(tmp.Name(), final); err != nil {
			return fmt.Errorf("rename: %w", diskError(err))
		}
		return nil
	}
	return fmt.Errorf("link: %w", diskError(err))
}

// syncDir makes a completed rename or link durable; errors are ignored
// because the data itself is already synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Get opens the image file and returns the requested range of it.
func (f *File) Get(ctx context.Context, loc Location, offset, length int64) (io.ReadCloser, int64, error) {
	p, err := f.path(loc.URL)
	if err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	fh, err := os.Open(p)
	if err != nil {
		return nil, 0, fmt.Errorf("file store: open %s: %w", p, diskError(err))
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, 0, fmt.Errorf("file store: stat %s: %w", p, diskError(err))
	}
	size := fi.Size()
	n, err := rangeLen(offset, length, size)
	if err != nil {
		fh.Close()
		return nil, 0, fmt.Errorf("file store: %s: %w", p, err)
	}
	return readCloser{Reader: ctxReader{ctx: ctx, r: io.NewSectionReader(fh, offset, n)}, Closer: fh}, size, nil
}

// rangeLen checks a range against a size and returns its length, shortened to
// the end of the data.
func rangeLen(offset, length, size int64) (int64, error) {
	if offset < 0 || offset > size || (offset == size && size > 0 && length != 0) {
		return 0, fmt.Errorf("offset %d of %d bytes: %w", offset, size, ErrRange)
	}
	if length < 0 || length > size-offset {
		length = size - offset
	}
	return length, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// Delete removes the image file.
func (f *File) Delete(ctx context.Context, loc Location) error {
	p, err := f.path(loc.URL)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("file store: delete %s: %w", p, diskError(err))
	}
	return nil
}

// path returns the file a location names, which must be a file:// URL of a
// file directly inside the data directory.
func (f *File) path(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") || u.RawQuery != "" {
		return "", fmt.Errorf("file store: %q: %w", raw, ErrBadLocation)
	}
	p := filepath.Clean(u.Path)
	if filepath.Dir(p) != f.dir || checkImageID(filepath.Base(p)) != nil {
		return "", fmt.Errorf("file store: %q is not in %s: %w", raw, f.dir, ErrBadLocation)
	}
	return p, nil
}

func fileURL(p string) string { return (&url.URL{Scheme: "file", Path: p}).String() }

// diskError wraps an operating-system error with the store error it means.
func diskError(err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %w", ErrStorageFull, err)
	case errors.Is(err, os.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", ErrWriteDenied, err)
	}
	return err
}
