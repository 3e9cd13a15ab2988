package format

import (
	"encoding/binary"
	"fmt"
)

// VirtualBox VDI header layout (little-endian), as qemu's block/vdi.c reads it.
const (
	vdiSignatureOff = 0x40
	vdiSignature    = 0xbeda107f
	vdiImageTypeOff = 0x4c
	vdiDiskSizeOff  = 0x170
	vdiHeaderLen    = 0x180
	vdiTypeDynamic  = 1
	vdiTypeStatic   = 2
)

// vdi inspects VirtualBox disk images. Only normal (dynamic) and fixed
// images stand alone; undo and differencing images hang off a parent.
type vdi struct {
	truncated bool
	imageType uint32
	size      uint64
}

func (v *vdi) name() string { return "vdi" }

func (v *vdi) start(i *Inspector) {
	i.need(0, vdiHeaderLen, func(b []byte) {
		if b == nil {
			v.truncated = true
			return
		}
		v.imageType = binary.LittleEndian.Uint32(b[vdiImageTypeOff:])
		v.size = binary.LittleEndian.Uint64(b[vdiDiskSizeOff:])
	})
}

func (v *vdi) finish([]byte, int64) (int64, []string) {
	if v.truncated {
		return 0, []string{"vdi header is truncated"}
	}
	var unsafe []string
	if v.imageType != vdiTypeDynamic && v.imageType != vdiTypeStatic {
		unsafe = append(unsafe, fmt.Sprintf("vdi image type %d (undo or differencing) depends on a parent image", v.imageType))
	}
	size, ok := toSize(v.size)
	if !ok {
		unsafe = append(unsafe, "vdi virtual size is out of range")
	}
	return size, unsafe
}
