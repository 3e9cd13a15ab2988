// Package fernet keeps Fernet key repositories and turns identity token
// payloads into Fernet tokens and back, the way Keystone (the OpenStack
// identity service) does for its fernet token provider.
//
// A key repository is a directory of files named by integer index, each
// holding one url-safe base64 32-byte Fernet key, exactly as
// `keystone-manage fernet_setup` leaves it: index 0 is the staged key (the
// next primary), the highest index is the primary key (it encrypts) and the
// others are secondary keys (they only decrypt). The same Repository type
// serves the `[fernet_tokens]` and the `[credential]` key repositories.
//
// A running server notices rotations made by another process (for example
// `gostack fernet rotate`, or rsync from another node) without a restart:
// Keys re-reads the directory when its fingerprint changes, checking at most
// once per second.
package fernet

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	fernetgo "github.com/fernet/fernet-go"
)

// Key is one 256-bit Fernet key (signing half and encryption half).
type Key = fernetgo.Key

// DefaultMaxActiveKeys is the number of keys kept by Rotate when
// NewRepository is given a value below 1, as Keystone's max_active_keys.
const DefaultMaxActiveKeys = 3

// ErrNoKeys reports a key repository that holds no key files; run Setup.
var ErrNoKeys = errors.New("fernet: key repository holds no keys")

// reloadInterval is how often Keys looks at the directory for changes.
const reloadInterval = time.Second

// Repository is a directory of Fernet keys. It is safe for concurrent use.
// Setup and Rotate serialize with each other inside one process; across
// processes only one should rotate at a time, as with keystone-manage.
type Repository struct {
	dir       string
	maxActive int
	// reloadEvery bounds how often Keys stats the directory; tests shorten it.
	reloadEvery time.Duration

	mu   sync.Mutex // serializes Setup, Rotate and reloads
	snap atomic.Pointer[snapshot]
}

// snapshot is the loaded state of the directory at one fingerprint.
type snapshot struct {
	checked time.Time // when the fingerprint was last compared (monotonic)
	fp      []fileStamp
	primary *Key
	all     []*Key // primary, secondaries (newest first), staged
	err     error  // load error for this fingerprint, returned until it changes
}

// fileStamp identifies one state of a file (or of the directory itself).
type fileStamp struct {
	name  string
	size  int64
	mtime int64
}

// NewRepository returns the key repository kept in dir. maxActiveKeys is how
// many keys Rotate keeps (staged + primary + secondaries); values below 1
// mean DefaultMaxActiveKeys. Nothing is read or written until a method is
// called.
func NewRepository(dir string, maxActiveKeys int) *Repository {
	if maxActiveKeys < 1 {
		maxActiveKeys = DefaultMaxActiveKeys
	}
	return &Repository{dir: dir, maxActive: maxActiveKeys, reloadEvery: reloadInterval}
}

// Dir returns the repository's directory.
func (r *Repository) Dir() string { return r.dir }

// MaxActiveKeys returns how many keys Rotate keeps.
func (r *Repository) MaxActiveKeys() int { return r.maxActive }

// Setup creates the directory (mode 0700) if needed and, when it holds no
// keys, creates the staged key 0 and rotates once, leaving keys 0 (staged)
// and 1 (primary). It does nothing to a repository that already has keys.
func (r *Repository) Setup() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.invalidate()

	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return fmt.Errorf("fernet: create key repository: %w", err)
	}
	r.warnIfWorldAccessible()
	idx, err := r.listIndexes()
	if err != nil {
		return err
	}
	if len(idx) > 0 {
		return nil
	}
	if err := r.writeNewKey(0); err != nil {
		return err
	}
	return r.rotateLocked()
}

// Rotate promotes the staged key 0 to primary (renaming it to the highest
// index + 1), writes a new staged key 0 and then deletes the lowest-indexed
// non-zero keys while more than MaxActiveKeys remain, as
// `keystone-manage fernet_rotate` does. Tokens encrypted with a deleted key
// no longer decrypt.
func (r *Repository) Rotate() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.invalidate()
	return r.rotateLocked()
}

func (r *Repository) rotateLocked() error {
	idx, err := r.listIndexes()
	if err != nil {
		return err
	}
	if len(idx) == 0 {
		return fmt.Errorf("rotate %s: %w", r.dir, ErrNoKeys)
	}
	if idx[0] != 0 {
		return fmt.Errorf("fernet: rotate %s: no staged key file 0", r.dir)
	}
	// Never promote a key that would make the repository unusable.
	if _, err := r.readKey(0); err != nil {
		return err
	}
	tmp, err := r.writeTempKey()
	if err != nil {
		return err
	}
	newPrimary := idx[len(idx)-1] + 1
	if err := os.Rename(r.path(0), r.path(newPrimary)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("fernet: promote staged key: %w", err)
	}
	if err := os.Rename(tmp, r.path(0)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("fernet: install new staged key: %w", err)
	}
	active := append(idx[1:], newPrimary) // non-zero keys, ascending
	for len(active) > r.maxActive-1 {
		if err := os.Remove(r.path(active[0])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("fernet: purge excess key: %w", err)
		}
		active = active[1:]
	}
	return r.syncDir()
}

// Indexes returns the indexes of the key files present, ascending. It reads
// the directory each time and does not check the files' contents.
func (r *Repository) Indexes() ([]int, error) {
	return r.listIndexes()
}

// Keys returns the primary key and every key, primary first, then the
// secondaries from newest to oldest, then the staged key. The directory is
// re-read when it changed (checked at most once per second), so rotations
// made elsewhere take effect without a restart. An empty or corrupt key file
// is an error naming the file.
func (r *Repository) Keys() (primary *Key, all []*Key, err error) {
	s := r.current()
	if s.err != nil {
		return nil, nil, s.err
	}
	return s.primary, slices.Clone(s.all), nil
}

// Encrypt encrypts plaintext with the primary key and returns a standard
// (padded) Fernet token.
func (r *Repository) Encrypt(plaintext []byte) (string, error) {
	primary, _, err := r.Keys()
	if err != nil {
		return "", err
	}
	tok, err := fernetgo.EncryptAndSign(plaintext, primary)
	if err != nil {
		return "", fmt.Errorf("fernet: encrypt: %w", err)
	}
	return string(tok), nil
}

// minTokenBytes is the size of a Fernet token with one cipher block:
// version, timestamp, IV, one AES block and the HMAC.
const minTokenBytes = 1 + 8 + 16 + 16 + 32

// Decrypt verifies and decrypts a Fernet token with any key of the
// repository; the token's timestamp is not checked. The '=' padding may be
// missing, as in Keystone's tokens. A token that does not verify is
// ErrInvalid; a failure to load the keys is returned as such.
func (r *Repository) Decrypt(token string) ([]byte, error) {
	_, keys, err := r.Keys()
	if err != nil {
		return nil, err
	}
	padded := restorePadding(token)
	raw, err := base64.URLEncoding.DecodeString(padded)
	if err != nil {
		return nil, fmt.Errorf("%w: not url-safe base64", ErrInvalid)
	}
	// fernet-go assumes well-formed lengths once the HMAC verifies.
	if len(raw) < minTokenBytes || (len(raw)-minTokenBytes)%16 != 0 {
		return nil, fmt.Errorf("%w: bad length", ErrInvalid)
	}
	msg := fernetgo.VerifyAndDecrypt([]byte(padded), 0, keys)
	if msg == nil {
		return nil, fmt.Errorf("%w: no key verifies the token", ErrInvalid)
	}
	return msg, nil
}

// restorePadding adds the '=' padding that Keystone strips from tokens.
func restorePadding(token string) string {
	if m := len(token) % 4; m != 0 {
		return token + strings.Repeat("=", 4-m)
	}
	return token
}

// current returns a snapshot no older than reloadEvery, re-reading the
// directory if its fingerprint changed.
func (r *Repository) current() *snapshot {
	if s := r.snap.Load(); s != nil && time.Since(s.checked) < r.reloadEvery {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refreshLocked()
}

func (r *Repository) refreshLocked() *snapshot {
	old := r.snap.Load()
	if old != nil && time.Since(old.checked) < r.reloadEvery {
		return old // another goroutine refreshed while we waited
	}
	now := time.Now()
	fp, err := r.fingerprint()
	if err != nil {
		s := &snapshot{checked: now, err: err}
		r.snap.Store(s)
		return s
	}
	if old != nil && slices.Equal(old.fp, fp) {
		s := *old
		s.checked = now
		r.snap.Store(&s)
		return &s
	}
	s := r.loadConsistent(fp)
	s.checked = now
	r.snap.Store(s)
	return s
}

// loadConsistent loads the keys and checks that the directory did not change
// meanwhile (a rotation could otherwise be half seen); it retries a few
// times. The snapshot keeps the fingerprint taken before its load, so a load
// that raced with a change is redone at the next check.
func (r *Repository) loadConsistent(fp []fileStamp) *snapshot {
	for attempt := 1; ; attempt++ {
		s := &snapshot{fp: fp}
		s.primary, s.all, s.err = r.load()
		after, err := r.fingerprint()
		if err != nil || slices.Equal(fp, after) || attempt == 3 {
			return s
		}
		fp = after
	}
}

// invalidate forces the next Keys call to look at the directory again.
func (r *Repository) invalidate() { r.snap.Store(nil) }

// fingerprint stamps the directory and its key files, so that a rename,
// rewrite, addition or removal is noticed without reading the keys.
func (r *Repository) fingerprint() ([]fileStamp, error) {
	st, err := os.Stat(r.dir)
	if err != nil {
		return nil, fmt.Errorf("fernet: key repository: %w", err)
	}
	fp := []fileStamp{{name: ".", mtime: st.ModTime().UnixNano()}}
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("fernet: key repository: %w", err)
	}
	for _, e := range entries {
		if _, ok := parseIndex(e.Name()); !ok {
			continue
		}
		fi, err := os.Stat(filepath.Join(r.dir, e.Name()))
		if err != nil {
			continue // vanished: the directory mtime records the change
		}
		fp = append(fp, fileStamp{name: e.Name(), size: fi.Size(), mtime: fi.ModTime().UnixNano()})
	}
	return fp, nil
}

// load reads every key file and orders the keys as Keys returns them.
func (r *Repository) load() (*Key, []*Key, error) {
	idx, err := r.listIndexes()
	if err != nil {
		return nil, nil, err
	}
	var all []*Key
	var staged *Key
	for i := len(idx) - 1; i >= 0; i-- {
		k, err := r.readKey(idx[i])
		if errors.Is(err, os.ErrNotExist) {
			continue // removed since listing; the next check reloads
		}
		if err != nil {
			return nil, nil, err
		}
		if idx[i] == 0 {
			staged = k
			continue
		}
		all = append(all, k)
	}
	if staged != nil {
		all = append(all, staged)
	}
	if len(all) == 0 {
		return nil, nil, fmt.Errorf("load %s: %w", r.dir, ErrNoKeys)
	}
	return all[0], all, nil
}

// listIndexes returns the indexes of the regular files named by a
// non-negative integer, ascending, and warns about other files.
func (r *Repository) listIndexes() ([]int, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("fernet: key repository: %w", err)
	}
	var idx []int
	for _, e := range entries {
		name := e.Name()
		n, ok := parseIndex(name)
		if !ok {
			if !strings.HasPrefix(name, ".") {
				slog.Warn("fernet: ignoring file in key repository", "dir", r.dir, "file", name)
			}
			continue
		}
		fi, err := os.Stat(filepath.Join(r.dir, name))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("fernet: key repository: %w", err)
		}
		if !fi.Mode().IsRegular() {
			slog.Warn("fernet: ignoring non-regular file in key repository", "dir", r.dir, "file", name)
			continue
		}
		idx = append(idx, n)
	}
	slices.Sort(idx)
	return idx, nil
}

// parseIndex accepts canonical non-negative decimal names ("0", "17", not
// "007" or "+1"), so that two files never claim the same index.
func parseIndex(name string) (int, bool) {
	n, err := strconv.Atoi(name)
	if err != nil || n < 0 || strconv.Itoa(n) != name {
		return 0, false
	}
	return n, true
}

// readKey reads and decodes key file i; errors name the file.
func (r *Repository) readKey(i int) (*Key, error) {
	p := r.path(i)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("fernet: read key: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, fmt.Errorf("fernet: key file %s is empty", p)
	}
	k, err := fernetgo.DecodeKey(s)
	if err != nil {
		return nil, fmt.Errorf("fernet: key file %s is corrupt: %w", p, err)
	}
	return k, nil
}

// writeNewKey atomically writes a fresh key as file i.
func (r *Repository) writeNewKey(i int) error {
	tmp, err := r.writeTempKey()
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, r.path(i)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("fernet: install new key: %w", err)
	}
	return r.syncDir()
}

// writeTempKey writes a fresh key to a hidden temporary file (mode 0600) in
// the repository, flushed to disk, and returns its path.
func (r *Repository) writeTempKey() (string, error) {
	var k Key
	if err := k.Generate(); err != nil {
		return "", fmt.Errorf("fernet: generate key: %w", err)
	}
	f, err := os.CreateTemp(r.dir, ".tmp-key-*")
	if err != nil {
		return "", fmt.Errorf("fernet: create key file: %w", err)
	}
	name := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.WriteString(k.Encode())
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("fernet: write key file: %w", err)
	}
	return name, nil
}

// syncDir flushes the directory so renames survive a crash.
func (r *Repository) syncDir() error {
	d, err := os.Open(r.dir)
	if err != nil {
		return fmt.Errorf("fernet: sync key repository: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fernet: sync key repository: %w", err)
	}
	return nil
}

// warnIfWorldAccessible logs, as Keystone does, a repository others can read.
func (r *Repository) warnIfWorldAccessible() {
	if st, err := os.Stat(r.dir); err == nil && st.Mode().Perm()&0o005 != 0 {
		slog.Warn("fernet: key repository is world readable", "dir", r.dir)
	}
}

func (r *Repository) path(i int) string {
	return filepath.Join(r.dir, strconv.Itoa(i))
}
