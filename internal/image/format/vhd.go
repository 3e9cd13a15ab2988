package format

import (
	"bytes"
	"encoding/binary"
)

// VHD (qemu: "vpc") footer layout (big-endian), 512 bytes: at offset 0 of a
// dynamic or differencing image, and the last sector of every image.
const (
	vhdFooterLen       = 512
	vhdCreatorApp      = 28
	vhdCurrentSize     = 48
	vhdCylinders       = 56
	vhdHeads           = 58
	vhdSectorsPerTrack = 59
	vhdDiskType        = 60
	vhdChecksum        = 64
	vhdTypeDiff        = 4
)

// vhdDynamic inspects a dynamic (or differencing) VHD, whose footer copy
// opens the file.
type vhdDynamic struct {
	truncated bool
	size      int64
	unsafe    []string
}

func (v *vhdDynamic) name() string { return "vhd" }

func (v *vhdDynamic) start(i *Inspector) {
	i.need(0, vhdFooterLen, func(b []byte) {
		if b == nil {
			v.truncated = true
			return
		}
		v.size, v.unsafe = vhdFooter(b)
	})
}

func (v *vhdDynamic) finish([]byte, int64) (int64, []string) {
	if v.truncated {
		return 0, []string{"vhd footer is truncated"}
	}
	return v.size, v.unsafe
}

// fixedVHD recognises a fixed VHD: raw data followed by a footer, whose
// checksum must hold (so raw data merely ending in "conectix" stays raw).
func fixedVHD(tail []byte, total int64) (int64, []string, bool) {
	if total < vhdFooterLen || len(tail) < vhdFooterLen {
		return 0, nil, false
	}
	f := tail[len(tail)-vhdFooterLen:]
	if !bytes.HasPrefix(f, []byte("conectix")) || !vhdChecksumOK(f) {
		return 0, nil, false
	}
	size, unsafe := vhdFooter(f)
	return size, unsafe, true
}

// vhdFooter reads the virtual size from a footer the way current qemu does:
// Virtual PC and old qemu sized disks by their CHS geometry (unless it is the
// maximum geometry), everyone else by the current-size field.
func vhdFooter(f []byte) (int64, []string) {
	var unsafe []string
	if binary.BigEndian.Uint32(f[vhdDiskType:]) == vhdTypeDiff {
		unsafe = append(unsafe, "vhd differencing image references a parent disk")
	}
	cyls := uint64(binary.BigEndian.Uint16(f[vhdCylinders:]))
	heads := uint64(f[vhdHeads])
	secs := uint64(f[vhdSectorsPerTrack])
	app := string(f[vhdCreatorApp : vhdCreatorApp+4])
	maxCHS := cyls == 65535 && heads == 16 && secs == 255
	if (app == "vpc " || app == "qemu") && !maxCHS {
		return int64(cyls * heads * secs * 512), unsafe
	}
	size, ok := toSize(binary.BigEndian.Uint64(f[vhdCurrentSize:]))
	if !ok {
		unsafe = append(unsafe, "vhd virtual size is out of range")
	}
	return size, unsafe
}

// vhdChecksumOK verifies the footer checksum: the ones' complement of the
// byte sum of the footer with the checksum field taken as zero.
func vhdChecksumOK(f []byte) bool {
	var sum uint32
	for n, c := range f[:vhdFooterLen] {
		if n < vhdChecksum || n >= vhdChecksum+4 {
			sum += uint32(c)
		}
	}
	return ^sum == binary.BigEndian.Uint32(f[vhdChecksum:])
}
