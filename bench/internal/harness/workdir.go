package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Filesystem magic numbers from statfs(2).
const (
	tmpfsMagic   = 0x01021994
	ramfsMagic   = 0x858458f6
	ext4Magic    = 0xef53
	xfsMagic     = 0x58465342
	btrfsMagic   = 0x9123683e
	overlayMagic = 0x794c7630
	zfsMagic     = 0x2fc12fc1
)

// WorkDir is a benchmark's temporary directory: config files, state, server log.
type WorkDir struct {
	Path   string
	FSType string // the filesystem it is on, e.g. "ext2/3/4", "tmpfs (memory!)"
}

// NewWorkDir creates a temporary directory named prefix… under dir, or under a place on the
// working directory's disk when dir is "", and checks it has need bytes free.
func NewWorkDir(dir, prefix string, need int64) (*WorkDir, error) {
	parent := dir
	if parent == "" {
		var err error
		if parent, err = defaultParent(); err != nil {
			return nil, err
		}
	}
	path, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return nil, fmt.Errorf("creating the temporary directory: %w", err)
	}
	w := &WorkDir{Path: path}
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		os.RemoveAll(path)
		return nil, fmt.Errorf("statfs %s: %w", path, err)
	}
	w.FSType = fsName(int64(st.Type))
	if free := int64(st.Bavail) * st.Bsize; free < need {
		os.RemoveAll(path)
		return nil, fmt.Errorf("%s has %d MiB free; the benchmark needs %d MiB", parent, free>>20, need>>20)
	}
	return w, nil
}

// defaultParent is the system temp dir when it is on the working directory's device and not
// tmpfs, else the parent of the module root (or the working directory outside a module).
func defaultParent() (string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	tmp := os.TempDir()
	if sameDevice(cwd, tmp) && !inMemory(tmp) {
		return tmp, nil
	}
	for d := cwd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if parent := filepath.Dir(d); writable(parent) {
				return parent, nil
			}
			return d, nil
		}
		if filepath.Dir(d) == d {
			return cwd, nil
		}
	}
}

// sameDevice reports whether two paths are on the same filesystem.
func sameDevice(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev
}

// inMemory reports whether a path is on tmpfs or ramfs.
func inMemory(path string) bool {
	var st syscall.Statfs_t
	if syscall.Statfs(path, &st) != nil {
		return true // unknown: do not trust it as a disk
	}
	return st.Type == tmpfsMagic || st.Type == ramfsMagic
}

// writable reports whether a directory accepts a new entry.
func writable(dir string) bool {
	f, err := os.CreateTemp(dir, ".gostack-bench-probe-")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

// fsName names a statfs filesystem type.
func fsName(magic int64) string {
	switch magic {
	case tmpfsMagic:
		return "tmpfs (memory!)"
	case ramfsMagic:
		return "ramfs (memory!)"
	case ext4Magic:
		return "ext2/3/4"
	case xfsMagic:
		return "xfs"
	case btrfsMagic:
		return "btrfs"
	case overlayMagic:
		return "overlay"
	case zfsMagic:
		return "zfs"
	}
	return fmt.Sprintf("fs type %#x", magic)
}
