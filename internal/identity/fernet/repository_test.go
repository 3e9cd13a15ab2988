package fernet

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	fernetgo "github.com/fernet/fernet-go"
)

// newTestRepo sets up a repository in a fresh directory.
func newTestRepo(t testing.TB, maxActive int) *Repository {
	t.Helper()
	r := NewRepository(filepath.Join(t.TempDir(), "fernet-keys"), maxActive)
	if err := r.Setup(); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return r
}

func mustIndexes(t *testing.T, r *Repository) []int {
	t.Helper()
	idx, err := r.Indexes()
	if err != nil {
		t.Fatalf("Indexes: %v", err)
	}
	return idx
}

func TestSetupAndRotateSequences(t *testing.T) {
	tests := []struct {
		name      string
		maxActive int
		want      [][]int // after setup, then after each rotation
	}{
		{"default max 3", 3, [][]int{{0, 1}, {0, 1, 2}, {0, 2, 3}, {0, 3, 4}, {0, 4, 5}}},
		{"zero means default", 0, [][]int{{0, 1}, {0, 1, 2}, {0, 2, 3}}},
		{"max 2", 2, [][]int{{0, 1}, {0, 2}, {0, 3}}},
		{"max 1 keeps only the staged key", 1, [][]int{{0}, {0}, {0}}},
		{"max 5", 5, [][]int{{0, 1}, {0, 1, 2}, {0, 1, 2, 3}, {0, 1, 2, 3, 4}, {0, 2, 3, 4, 5}, {0, 3, 4, 5, 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRepo(t, tt.maxActive)
			for i, want := range tt.want {
				if i > 0 {
					if err := r.Rotate(); err != nil {
						t.Fatalf("Rotate %d: %v", i, err)
					}
				}
				if got := mustIndexes(t, r); !slices.Equal(got, want) {
					t.Fatalf("after %d rotations: indexes %v, want %v", i, got, want)
				}
				if _, all, err := r.Keys(); err != nil || len(all) != len(want) {
					t.Fatalf("after %d rotations: Keys gave %d keys, err %v; want %d", i, len(all), err, len(want))
				}
			}
		})
	}
}

func TestRotatePromotesStagedKey(t *testing.T) {
	r := newTestRepo(t, 3)
	staged := readKeyFile(t, r, 0)
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	if got := readKeyFile(t, r, 2); got != staged {
		t.Errorf("key 2 = %q, want the former staged key %q", got, staged)
	}
	if got := readKeyFile(t, r, 0); got == staged {
		t.Error("staged key 0 was not replaced")
	}
}

func TestSetupIsIdempotent(t *testing.T) {
	r := newTestRepo(t, 3)
	before := []string{readKeyFile(t, r, 0), readKeyFile(t, r, 1)}
	if err := r.Setup(); err != nil {
		t.Fatalf("second Setup: %v", err)
	}
	after := []string{readKeyFile(t, r, 0), readKeyFile(t, r, 1)}
	if !slices.Equal(before, after) || !slices.Equal(mustIndexes(t, r), []int{0, 1}) {
		t.Errorf("second Setup changed the keys: %v -> %v", before, after)
	}
}

func TestSetupPermissions(t *testing.T) {
	r := newTestRepo(t, 3)
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(r.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("directory mode %v, want 0700", perm)
	}
	entries, err := os.ReadDir(r.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file %s mode %v, want 0600", e.Name(), perm)
		}
	}
}

func TestKeysOrder(t *testing.T) {
	r := newTestRepo(t, 5)
	for range 2 {
		if err := r.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	// Indexes are now 0 1 2 3: primary 3, secondaries 2 1, staged 0.
	primary, all, err := r.Keys()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range all {
		got = append(got, k.Encode())
	}
	want := []string{readKeyFile(t, r, 3), readKeyFile(t, r, 2), readKeyFile(t, r, 1), readKeyFile(t, r, 0)}
	if !slices.Equal(got, want) {
		t.Errorf("Keys order %v, want %v", got, want)
	}
	if primary.Encode() != want[0] {
		t.Errorf("primary %s, want key 3 %s", primary.Encode(), want[0])
	}
}

func TestTokenSurvivesRotationUntilPurged(t *testing.T) {
	r := newTestRepo(t, 3)
	tok, err := r.Encrypt([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	// Key 1 encrypted it: it stays through one rotation ([0 1 2]) and is
	// purged by the second ([0 2 3]).
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Decrypt(tok); err != nil || string(got) != "secret" {
		t.Fatalf("after one rotation: Decrypt = %q, %v", got, err)
	}
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Decrypt(tok); !errors.Is(err, ErrInvalid) {
		t.Fatalf("after its key was purged: Decrypt err = %v, want ErrInvalid", err)
	}
}

func TestDecryptWithStagedKey(t *testing.T) {
	// Another node that rotated first encrypts with what is our staged key.
	r := newTestRepo(t, 3)
	staged, err := fernetgo.DecodeKey(readKeyFile(t, r, 0))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := fernetgo.EncryptAndSign([]byte("from the future"), staged)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Decrypt(string(tok)); err != nil || string(got) != "from the future" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
}

func TestDecryptPadding(t *testing.T) {
	r := newTestRepo(t, 3)
	for _, msg := range []string{"", "a", "ab", "abc", strings.Repeat("x", 100)} {
		tok, err := r.Encrypt([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		for _, variant := range []string{tok, strings.TrimRight(tok, "=")} {
			if got, err := r.Decrypt(variant); err != nil || string(got) != msg {
				t.Errorf("Decrypt(%q) = %q, %v; want %q", variant, got, err, msg)
			}
		}
	}
}

func TestSecondRepositorySeesRotation(t *testing.T) {
	r1 := newTestRepo(t, 3)
	r2 := NewRepository(r1.Dir(), 3)
	loaded := time.Now()
	p2, _, err := r2.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if err := r1.Rotate(); err != nil {
		t.Fatal(err)
	}
	p1, _, err := r1.Keys()
	if err != nil {
		t.Fatal(err)
	}
	// Within the check interval the cached keys are served (unless the
	// machine was so slow that the interval already elapsed).
	if p, _, _ := r2.Keys(); *p != *p2 && time.Since(loaded) < reloadInterval/2 {
		t.Error("r2 reloaded before its check interval elapsed")
	}
	time.Sleep(reloadInterval + 100*time.Millisecond)
	p, all, err := r2.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if *p != *p1 || len(all) != 3 {
		t.Errorf("r2 after reload: primary %s (want %s), %d keys (want 3)", p.Encode(), p1.Encode(), len(all))
	}
	tok, err := r1.Encrypt([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r2.Decrypt(tok); err != nil || string(got) != "hello" {
		t.Errorf("r2.Decrypt of r1's new token = %q, %v", got, err)
	}
}

func TestReloadOnRewrittenKeyFile(t *testing.T) {
	// rsync from another node may rewrite a file in place (same name, same size).
	r := newTestRepo(t, 3)
	r.reloadEvery = 0
	if _, _, err := r.Keys(); err != nil {
		t.Fatal(err)
	}
	var k Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // let the file mtime move on coarse clocks
	if err := os.WriteFile(filepath.Join(r.Dir(), "1"), []byte(k.Encode()), 0o600); err != nil {
		t.Fatal(err)
	}
	p, _, err := r.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if *p != k {
		t.Errorf("primary %s after rewrite, want %s", p.Encode(), k.Encode())
	}
}

func TestBadKeyFiles(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantMsg string
	}{
		{"empty", "", "is empty"},
		{"whitespace only", " \n", "is empty"},
		{"not base64", "this is not a key!", "is corrupt"},
		{"short key", "c2hvcnQ=", "is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRepo(t, 3)
			r.reloadEvery = 0
			bad := filepath.Join(r.Dir(), "1")
			if err := os.WriteFile(bad, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, _, err := r.Keys()
			if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Keys err = %v, want one naming %s and saying %q", err, bad, tt.wantMsg)
			}
			if _, err := r.Encrypt([]byte("x")); err == nil {
				t.Error("Encrypt succeeded with a corrupt repository")
			}
		})
	}
}

func TestKeyFileWithTrailingNewline(t *testing.T) {
	r := newTestRepo(t, 3)
	r.reloadEvery = 0
	var k Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir(), "1"), []byte(k.Encode()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, _, err := r.Keys(); err != nil || *p != k {
		t.Fatalf("Keys = %v, %v; want the key written with a newline", p, err)
	}
}

func TestRotateRefusesCorruptStagedKey(t *testing.T) {
	r := newTestRepo(t, 3)
	staged := filepath.Join(r.Dir(), "0")
	if err := os.WriteFile(staged, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Rotate(); err == nil || !strings.Contains(err.Error(), staged) {
		t.Fatalf("Rotate err = %v, want one naming %s", err, staged)
	}
	if got := mustIndexes(t, r); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("failed Rotate changed the indexes to %v", got)
	}
}

func TestIgnoredFiles(t *testing.T) {
	r := newTestRepo(t, 3)
	r.reloadEvery = 0
	for _, name := range []string{"README", "0.tmp", "007", "-1", "+2", ".hidden"} {
		if err := os.WriteFile(filepath.Join(r.Dir(), name), []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(r.Dir(), "9"), 0o700); err != nil {
		t.Fatal(err)
	}
	if got := mustIndexes(t, r); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("indexes %v, want [0 1]", got)
	}
	if _, all, err := r.Keys(); err != nil || len(all) != 2 {
		t.Errorf("Keys: %d keys, err %v; want 2 keys", len(all), err)
	}
	if err := r.Rotate(); err != nil {
		t.Fatal(err)
	}
	if got := mustIndexes(t, r); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("indexes after rotation %v, want [0 1 2]", got)
	}
}

func TestEmptyAndMissingRepositories(t *testing.T) {
	missing := NewRepository(filepath.Join(t.TempDir(), "nope"), 3)
	if _, _, err := missing.Keys(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Keys on a missing dir: %v, want ErrNotExist", err)
	}
	empty := NewRepository(t.TempDir(), 3)
	if _, _, err := empty.Keys(); !errors.Is(err, ErrNoKeys) {
		t.Errorf("Keys on an empty dir: %v, want ErrNoKeys", err)
	}
	if err := empty.Rotate(); !errors.Is(err, ErrNoKeys) {
		t.Errorf("Rotate on an empty dir: %v, want ErrNoKeys", err)
	}
	if _, err := empty.Decrypt("gAAAAA"); !errors.Is(err, ErrNoKeys) {
		t.Errorf("Decrypt on an empty dir: %v, want ErrNoKeys", err)
	}
	// Setup then makes the same repository usable.
	if err := empty.Setup(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := empty.Keys(); err != nil {
		t.Errorf("Keys after Setup: %v", err)
	}
}

func TestRotateWithoutStagedKey(t *testing.T) {
	r := newTestRepo(t, 3)
	if err := os.Remove(filepath.Join(r.Dir(), "0")); err != nil {
		t.Fatal(err)
	}
	if err := r.Rotate(); err == nil || !strings.Contains(err.Error(), "staged") {
		t.Fatalf("Rotate err = %v, want a missing staged key error", err)
	}
	// The remaining key still serves.
	if p, all, err := r.Keys(); err != nil || p == nil || len(all) != 1 {
		t.Errorf("Keys = %v, %d keys, %v", p, len(all), err)
	}
}

func TestConcurrentUseDuringRotation(t *testing.T) {
	r := newTestRepo(t, 50)
	reader := NewRepository(r.Dir(), 50) // sees rotations only through the directory
	reader.reloadEvery = 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok, err := reader.Encrypt([]byte("payload"))
				if err == nil {
					_, err = reader.Decrypt(tok)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range 20 {
		if err := r.Rotate(); err != nil {
			t.Fatalf("Rotate %d: %v", i, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Encrypt/Decrypt: %v", err)
	}
}

func TestParseIndex(t *testing.T) {
	tests := []struct {
		name string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"42", 42, true},
		{"", 0, false}, {"00", 0, false}, {"01", 0, false}, {"-1", 0, false},
		{"+1", 0, false}, {"1.tmp", 0, false}, {" 1", 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseIndex(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseIndex(%q) = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func readKeyFile(t *testing.T, r *Repository, i int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.Dir(), strconv.Itoa(i)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
