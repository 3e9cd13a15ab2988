// Package format inspects disk-image bytes as they stream past, the way
// Glance's format_inspector does: it learns the real format of an upload
// (raw, qcow2, vmdk, vhd, vhdx, vdi, iso), its virtual size, and whether the
// image refers to other files (a qcow2 backing or data file, VMDK extents or
// parent, VHD/VHDX/VDI parents) and so must never be handed to qemu.
//
// The Inspector sees the bytes once, in order, in chunks of any size, and
// keeps only the few header regions each format needs (the first 64 KiB, the
// last 1.5 KiB and a handful of small regions further in), so memory stays
// bounded however large the image is.
package format

import "math"

const (
	// headSize is how much of the start of the stream is always kept: it
	// holds every format's signature (ISO's is at 32769) and most headers.
	headSize = 64 << 10
	// tailSize is how much of the end of the stream is kept: a fixed VHD's
	// footer (512 bytes) and a streamOptimized VMDK's footer (1536 bytes).
	tailSize = 1536
	// maxWant bounds any single region a parser asks for.
	maxWant = 64 << 10
)

// Info is what inspection found.
type Info struct {
	// Format is "raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi" or "iso"
	// ("qed" is recognised only to be refused).
	Format string
	// VirtualSize is the bytes the guest sees; for raw, the number of bytes
	// read. It is 0 when the headers could not be read.
	VirtualSize int64
	// Unsafe is a non-empty reason when the image references other files
	// (backing file, data file, external extents, parent disk) or is
	// otherwise unsafe to hand to qemu (including headers that could not be
	// inspected); several reasons are joined with "; ".
	Unsafe string
}

// Inspector learns the format from bytes written to it in order; it is an
// io.Writer so an upload can io.TeeReader / io.MultiWriter through it. It is
// not safe for concurrent use.
type Inspector struct {
	pos  int64  // bytes written so far
	head []byte // the first headSize bytes
	tail [tailSize]byte
	// cur and curOff are the chunk being written and its stream offset.
	cur    []byte
	curOff int64

	wants []*want // regions still being captured
	ready []*want // regions complete (or missed) whose callbacks are due
	// now is the logical stream position of the callback being run: see need.
	now int64

	detected   bool
	finalizing bool
	done       bool
	result     Info

	parser parser // the format recognised at offset 0, nil for raw/iso
	iso    isoInfo

	held, peak int // bytes of captured data held now / at most (for tests)
}

// parser is one format's inspection: start registers the regions it wants
// (via Inspector.need), finish reports the outcome once the stream ended.
type parser interface {
	name() string
	start(i *Inspector)
	finish(tail []byte, total int64) (virtualSize int64, unsafe []string)
}

// want is a region [off, off+len(buf)) of the stream a parser asked for.
type want struct {
	off    int64
	buf    []byte
	got    int   // bytes of buf filled so far
	now    int64 // logical position of the chain that asked for it
	missed bool  // the bytes were gone or never came
	fn     func(b []byte)
}

// NewInspector returns an Inspector ready for the first byte of an image.
func NewInspector() *Inspector {
	i := &Inspector{head: make([]byte, 0, headSize)}
	i.hold(headSize + tailSize)
	return i
}

// Write feeds the next bytes of the image. It never fails; bytes written
// after Info has been called are ignored.
func (i *Inspector) Write(p []byte) (int, error) {
	if i.done || len(p) == 0 {
		return len(p), nil
	}
	i.cur, i.curOff = p, i.pos
	if len(i.head) < headSize {
		n := min(headSize-len(i.head), len(p))
		i.head = append(i.head, p[:n]...)
	}
	i.keepTail(p)
	i.pos += int64(len(p))
	if !i.detected && len(i.head) == headSize {
		i.detect()
	}
	i.feed()
	i.run()
	i.cur = nil
	return len(p), nil
}

// Info reports what the bytes written so far are; call it after the last
// Write. Later calls return the same result.
func (i *Inspector) Info() Info {
	if !i.done {
		i.finish()
	}
	return i.result
}

// keepTail remembers the last tailSize bytes of the stream in a ring.
func (i *Inspector) keepTail(p []byte) {
	skip := max(0, len(p)-tailSize)
	src := p[skip:]
	at := int((i.pos + int64(skip)) % tailSize)
	n := copy(i.tail[at:], src)
	copy(i.tail[:], src[n:])
}

// tailBytes returns the last min(pos, tailSize) bytes of the stream in order.
func (i *Inspector) tailBytes() []byte {
	if i.pos < tailSize {
		return append([]byte(nil), i.tail[:i.pos]...)
	}
	at := int(i.pos % tailSize)
	out := make([]byte, 0, tailSize)
	out = append(out, i.tail[at:]...)
	return append(out, i.tail[:at]...)
}

// need asks for n bytes at stream offset off; fn runs once they have all
// been seen, or with nil if they cannot be had (the stream ended first, or
// they went past before anyone asked).
//
// Whether bytes are still available must not depend on how the stream was
// chunked, so it is decided logically: every chain of requests carries its
// position `now` (the end of the last region it received, and at least
// headSize, since detection happens once the head is full). A request is
// served if it lies wholly in the head, starts at or after now, or the chain
// has not yet gone past the head (everything from headSize on is then still
// to come or in the current chunk).
func (i *Inspector) need(off int64, n int, fn func(b []byte)) {
	w := &want{off: off, now: i.now, fn: fn}
	if n < 0 || n > maxWant || off < 0 || off > math.MaxInt64-int64(n) || i.finalizing ||
		!(off+int64(n) <= headSize || off >= i.now || i.now <= headSize) {
		w.missed = true
		i.ready = append(i.ready, w)
		return
	}
	w.buf = make([]byte, n)
	i.hold(n)
	w.fill(i.head, 0)
	w.fill(i.cur, i.curOff)
	if w.got == len(w.buf) {
		i.ready = append(i.ready, w)
		return
	}
	i.wants = append(i.wants, w)
}

// fill copies into w whatever part of src (which starts at stream offset
// srcOff) is the next part w is waiting for.
func (w *want) fill(src []byte, srcOff int64) {
	at := w.off + int64(w.got)
	if at < srcOff || at >= srcOff+int64(len(src)) {
		return
	}
	w.got += copy(w.buf[w.got:], src[at-srcOff:])
}

// feed offers the current chunk to every pending region.
func (i *Inspector) feed() {
	if len(i.wants) == 0 {
		return
	}
	pending := i.wants[:0]
	for _, w := range i.wants {
		w.fill(i.cur, i.curOff)
		if w.got == len(w.buf) {
			i.ready = append(i.ready, w)
		} else {
			pending = append(pending, w)
		}
	}
	clear(i.wants[len(pending):])
	i.wants = pending
}

// run calls back every completed region, in order; callbacks may ask for
// more regions, which join the queue.
func (i *Inspector) run() {
	for len(i.ready) > 0 {
		w := i.ready[0]
		i.ready[0] = nil
		i.ready = i.ready[1:]
		buf := w.buf
		i.now = w.now
		if w.missed {
			buf = nil
			i.now = math.MaxInt64
		} else {
			i.now = max(w.now, w.off+int64(len(w.buf)))
		}
		w.fn(buf)
		i.held -= len(w.buf)
	}
	i.ready = i.ready[:0]
}

// hold records n more bytes of captured data.
func (i *Inspector) hold(n int) {
	i.held += n
	i.peak = max(i.peak, i.held)
}

// detect recognises the format from the head; it runs once, when the head
// is full or the stream has ended.
func (i *Inspector) detect() {
	i.detected = true
	i.now = headSize
	i.parser = probe(i.head)
	i.iso = probeISO(i.head)
	if i.parser != nil {
		i.parser.start(i)
	}
}

// finish ends inspection: regions not yet complete are missed, and the
// result is settled.
func (i *Inspector) finish() {
	if !i.detected {
		i.detect()
	}
	i.run()
	i.finalizing = true
	for len(i.wants) > 0 {
		for _, w := range i.wants {
			w.missed = true
			i.ready = append(i.ready, w)
		}
		i.wants = nil
		i.run()
	}
	i.done = true
	i.result = i.conclude()
	i.head = nil
}

// conclude turns the parsers' findings into an Info.
func (i *Inspector) conclude() Info {
	tail := i.tailBytes()
	switch {
	case i.parser != nil:
		size, unsafe := i.parser.finish(tail, i.pos)
		if i.iso.ok {
			unsafe = append(unsafe, "image data matches both "+i.parser.name()+" and iso")
		}
		return Info{Format: i.parser.name(), VirtualSize: size, Unsafe: joinReasons(unsafe)}
	case i.iso.ok:
		size := i.iso.size
		if size == 0 {
			size = i.pos
		}
		return Info{Format: "iso", VirtualSize: size}
	}
	if size, unsafe, ok := fixedVHD(tail, i.pos); ok {
		return Info{Format: "vhd", VirtualSize: size, Unsafe: joinReasons(unsafe)}
	}
	return Info{Format: "raw", VirtualSize: i.pos}
}

// joinReasons makes one Unsafe string from several reasons.
func joinReasons(reasons []string) string {
	out := ""
	for _, r := range reasons {
		if out != "" {
			out += "; "
		}
		out += r
	}
	return out
}
