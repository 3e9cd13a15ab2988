package format

import (
	"encoding/binary"
	"fmt"
)

// qcow2 header layout (big-endian), from qemu's docs/interop/qcow2.txt.
const (
	qcow2V2HeaderLen       = 72
	qcow2V3FieldsLen       = 32   // incompatible features … header_length
	qcow2MaxBackingName    = 1023 // qemu refuses longer backing file names
	qcow2MaxDataFileName   = 1023
	qcow2MinClusterBits    = 9
	qcow2MaxClusterBits    = 21
	qcow2ExtEnd            = 0x00000000
	qcow2ExtDataFile       = 0x44415441 // "DATA": external data file name
	qcow2FeatureDataFile   = 1 << 2     // incompatible feature: external data file
	qcow2KnownIncompatible = 1<<5 - 1   // dirty, corrupt, data file, compression, extended L2
)

// qcow2 inspects QEMU copy-on-write v2/v3 images. It refuses images with a
// backing file (qemu would open any path named in the header — CVE-2024-32498)
// or an external data file, and images using incompatible features it does
// not know.
type qcow2 struct {
	truncated    bool
	version      uint32
	size         uint64
	clusterBits  uint32
	backingOff   uint64
	backingName  string
	incompatible uint64
	dataFileName string
}

func (q *qcow2) name() string { return "qcow2" }

func (q *qcow2) start(i *Inspector) {
	i.need(0, qcow2V2HeaderLen, func(b []byte) { q.header(i, b) })
}

// header parses the fields common to v2 and v3.
func (q *qcow2) header(i *Inspector, b []byte) {
	if b == nil {
		q.truncated = true
		return
	}
	be := binary.BigEndian
	q.version = be.Uint32(b[4:])
	q.backingOff = be.Uint64(b[8:])
	backingSize := be.Uint32(b[16:])
	q.clusterBits = be.Uint32(b[20:])
	q.size = be.Uint64(b[24:])
	if q.backingOff != 0 && backingSize > 0 && backingSize <= qcow2MaxBackingName {
		i.need(int64(min(q.backingOff, maxOffset)), int(backingSize), func(b []byte) {
			q.backingName = string(b)
		})
	}
	if q.version >= 3 {
		i.need(qcow2V2HeaderLen, qcow2V3FieldsLen, func(b []byte) { q.v3(i, b) })
	}
}

// v3 parses the version 3 feature fields and, for an image with an external
// data file, walks the header extensions to learn the file's name.
func (q *qcow2) v3(i *Inspector, b []byte) {
	if b == nil {
		q.truncated = true
		return
	}
	q.incompatible = binary.BigEndian.Uint64(b[0:])
	headerLen := binary.BigEndian.Uint32(b[28:])
	if q.incompatible&qcow2FeatureDataFile != 0 {
		q.extension(i, int64(headerLen), q.extensionsEnd())
	}
}

// extensionsEnd is where qemu stops reading header extensions: at the backing
// file name if there is one, else at the end of the first cluster.
func (q *qcow2) extensionsEnd() int64 {
	bits := min(max(q.clusterBits, qcow2MinClusterBits), qcow2MaxClusterBits)
	end := int64(1) << bits
	if q.backingOff != 0 && q.backingOff < uint64(end) {
		end = int64(q.backingOff)
	}
	return end
}

// extension reads the header extension at off and moves on to the next.
func (q *qcow2) extension(i *Inspector, off, end int64) {
	if off+8 > end {
		return
	}
	i.need(off, 8, func(b []byte) {
		if b == nil {
			return
		}
		typ := binary.BigEndian.Uint32(b[0:])
		length := int64(binary.BigEndian.Uint32(b[4:]))
		data := off + 8
		if typ == qcow2ExtEnd || length > end-data {
			return
		}
		if typ == qcow2ExtDataFile && length > 0 {
			i.need(data, int(min(length, qcow2MaxDataFileName)), func(b []byte) {
				q.dataFileName = string(b)
			})
		}
		q.extension(i, data+(length+7)&^7, end)
	})
}

func (q *qcow2) finish([]byte, int64) (int64, []string) {
	if q.truncated && q.version == 0 {
		return 0, []string{"qcow2 header is truncated"}
	}
	var unsafe []string
	if q.version != 2 && q.version != 3 {
		unsafe = append(unsafe, fmt.Sprintf("unsupported qcow2 version %d", q.version))
	}
	if q.truncated {
		unsafe = append(unsafe, "qcow2 header is truncated")
	}
	if q.backingOff != 0 {
		unsafe = append(unsafe, "qcow2 image has a backing file"+quoted(q.backingName))
	}
	if q.incompatible&qcow2FeatureDataFile != 0 {
		unsafe = append(unsafe, "qcow2 image has an external data file"+quoted(q.dataFileName))
	}
	if unknown := q.incompatible &^ qcow2KnownIncompatible; unknown != 0 {
		unsafe = append(unsafe, fmt.Sprintf("qcow2 image uses unknown incompatible features (0x%x)", unknown))
	}
	size, ok := toSize(q.size)
	if !ok {
		unsafe = append(unsafe, "qcow2 virtual size is out of range")
	}
	return size, unsafe
}

// maxOffset is the largest stream offset a parser will ask for.
const maxOffset = 1 << 62

// toSize converts an on-disk size to int64, reporting whether it fits.
func toSize(v uint64) (int64, bool) {
	if v > maxOffset {
		return 0, false
	}
	return int64(v), true
}

// quoted renders a file name read from an image for an error message:
// ` ("name")`, or nothing when the name is unknown.
func quoted(name string) string {
	if name == "" {
		return ""
	}
	const limit = 256
	if len(name) > limit {
		name = name[:limit] + "…"
	}
	return fmt.Sprintf(" (%q)", name)
}
