package image

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"sync"

	"github.com/gostack/gostack/internal/image/format"
)

// digestReader passes image data through while the md5 checksum, the os_hash_value and the
// format inspection see it. The hashes run on their own goroutines over a copy of each chunk,
// overlapping with the store writing the same bytes; two chunk buffers bound the memory.
type digestReader struct {
	r       io.Reader
	n       int64
	readErr error // the first error reading the source other than io.EOF
	workers []digestWorker
	slots   [4]digestSlot
	k       int
	closed  bool
	md5     hash.Hash
	osHash  hash.Hash
}

// digestSlot is one chunk buffer and the hashing still reading it.
type digestSlot struct {
	buf  []byte
	busy sync.WaitGroup
}

// digestWorker feeds chunks to one hash, in order.
type digestWorker struct {
	w     io.Writer
	input chan digestChunk
}

// digestChunk is the first n bytes of a slot's buffer.
type digestChunk struct {
	slot *digestSlot
	n    int
}

// newDigestReader starts the hashing goroutines; Close stops them.
func newDigestReader(r io.Reader, algo string, insp *format.Inspector) *digestReader {
	d := &digestReader{r: r, md5: md5.New(), osHash: newHash(algo)}
	for _, w := range []io.Writer{d.md5, io.MultiWriter(d.osHash, insp)} {
		wk := digestWorker{w: w, input: make(chan digestChunk, len(d.slots))}
		d.workers = append(d.workers, wk)
		go wk.run()
	}
	return d
}

func (wk digestWorker) run() {
	for c := range wk.input {
		_, _ = wk.w.Write(c.slot.buf[:c.n]) // hashes and the inspector never fail
		c.slot.busy.Done()
	}
}

// Read fills p with the next chunk (a socket hands out a few KiB at a time; whole chunks
// keep the per-chunk hand-offs and write calls few) and starts hashing a copy of it.
func (d *digestReader) Read(p []byte) (int, error) {
	n := 0
	var err error
	for n < len(p) && err == nil {
		var m int
		m, err = d.r.Read(p[n:])
		n += m
	}
	if err != nil && err != io.EOF && d.readErr == nil {
		d.readErr = err
	}
	if n > 0 {
		d.n += int64(n)
		slot := &d.slots[d.k%len(d.slots)]
		d.k++
		slot.busy.Wait()
		if cap(slot.buf) < n {
			slot.buf = make([]byte, n)
		}
		copy(slot.buf[:n], p[:n])
		slot.busy.Add(len(d.workers))
		for _, wk := range d.workers {
			wk.input <- digestChunk{slot: slot, n: n}
		}
	}
	return n, err
}

// Close waits for the hashing to finish and stops the goroutines; it is idempotent.
func (d *digestReader) Close() {
	if d.closed {
		return
	}
	d.closed = true
	for i := range d.slots {
		d.slots[i].busy.Wait()
	}
	for _, wk := range d.workers {
		close(wk.input)
	}
}

// sums returns the md5 checksum and the os_hash_value, after Close.
func (d *digestReader) sums() (checksum, osHash string) {
	return hex.EncodeToString(d.md5.Sum(nil)), hex.EncodeToString(d.osHash.Sum(nil))
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "sha256":
		return sha256.New()
	case "sha384":
		return sha512.New384()
	default:
		return sha512.New()
	}
}
