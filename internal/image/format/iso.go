package format

import (
	"bytes"
	"encoding/binary"
)

// ISO 9660 layout: volume descriptors are 2048-byte sectors from sector 16,
// each starting with a type byte and "CD001".
const (
	isoSector         = 2048
	isoFirstVD        = 16 * isoSector
	isoTypePrimary    = 1
	isoTypeTerminator = 255
	isoVolumeSpace    = 80  // both-endian uint32: blocks in the volume
	isoBlockSize      = 128 // both-endian uint16: bytes per logical block
)

// isoInfo is what the ISO 9660 volume descriptors say.
type isoInfo struct {
	ok   bool  // "CD001" at offset 32769
	size int64 // volume space size × logical block size; 0 if unknown
}

// probeISO looks for ISO 9660 volume descriptors in the head and reads the
// volume size from the primary one.
func probeISO(head []byte) isoInfo {
	var info isoInfo
	for off := isoFirstVD; off+6 <= len(head); off += isoSector {
		vd := head[off:min(off+isoSector, len(head))]
		if !bytes.Equal(vd[1:6], []byte("CD001")) {
			break
		}
		info.ok = true
		if vd[0] == isoTypeTerminator {
			break
		}
		if vd[0] == isoTypePrimary && len(vd) >= isoBlockSize+2 {
			blocks := int64(binary.LittleEndian.Uint32(vd[isoVolumeSpace:]))
			blockSize := int64(binary.LittleEndian.Uint16(vd[isoBlockSize:]))
			info.size = blocks * blockSize
			break
		}
	}
	return info
}
