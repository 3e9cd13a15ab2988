package format

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// VHDX layout (little-endian), from Microsoft's [MS-VHDX].
const (
	vhdxRegionTable    = 192 << 10 // primary region table
	vhdxTableHeaderLen = 16        // region table header; the metadata table's is 32
	vhdxMetaHeaderLen  = 32
	vhdxEntryLen       = 32 // region and metadata table entries alike
	vhdxMaxEntries     = 2047
)

var (
	vhdxMetadataRegion = guid("8B7CA206-4790-4B9A-B8FE-575F050F886E")
	vhdxVirtualSize    = guid("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
	vhdxParentLocator  = guid("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C")
)

// vhdx inspects Hyper-V's VHDX: region table → metadata region → metadata
// table → virtual disk size item. A differencing disk (one with a parent
// locator) is refused.
type vhdx struct {
	size     int64
	sizeRead bool
	problem  string // why inspection could not complete
	parent   bool
}

func (v *vhdx) name() string { return "vhdx" }

func (v *vhdx) start(i *Inspector) {
	i.need(vhdxRegionTable, vhdxTableHeaderLen, func(b []byte) { v.regionHeader(i, b) })
}

func (v *vhdx) fail(problem string) {
	if v.problem == "" {
		v.problem = problem
	}
}

func (v *vhdx) regionHeader(i *Inspector, b []byte) {
	if b == nil {
		v.fail("vhdx region table is missing")
		return
	}
	count := binary.LittleEndian.Uint32(b[8:])
	if !bytes.HasPrefix(b, []byte("regi")) || count > vhdxMaxEntries {
		v.fail("vhdx region table is invalid")
		return
	}
	i.need(vhdxRegionTable+vhdxTableHeaderLen, int(count)*vhdxEntryLen, func(b []byte) { v.regions(i, b) })
}

func (v *vhdx) regions(i *Inspector, b []byte) {
	if b == nil {
		v.fail("vhdx region table is truncated")
		return
	}
	for e := range entries(b) {
		if [16]byte(e[:16]) != vhdxMetadataRegion {
			continue
		}
		off, ok := toSize(binary.LittleEndian.Uint64(e[16:]))
		if !ok {
			break
		}
		i.need(off, vhdxMetaHeaderLen, func(b []byte) { v.metaHeader(i, off, b) })
		return
	}
	v.fail("vhdx metadata region not found")
}

func (v *vhdx) metaHeader(i *Inspector, region int64, b []byte) {
	if b == nil {
		v.fail("vhdx metadata table could not be read")
		return
	}
	count := binary.LittleEndian.Uint16(b[10:])
	if !bytes.HasPrefix(b, []byte("metadata")) || count > vhdxMaxEntries {
		v.fail("vhdx metadata table is invalid")
		return
	}
	i.need(region+vhdxMetaHeaderLen, int(count)*vhdxEntryLen, func(b []byte) { v.metaEntries(i, region, b) })
}

func (v *vhdx) metaEntries(i *Inspector, region int64, b []byte) {
	if b == nil {
		v.fail("vhdx metadata table is truncated")
		return
	}
	found := false
	for e := range entries(b) {
		switch [16]byte(e[:16]) {
		case vhdxParentLocator:
			v.parent = true
		case vhdxVirtualSize:
			if found {
				continue
			}
			found = true
			item := region + int64(binary.LittleEndian.Uint32(e[16:]))
			i.need(item, 8, func(b []byte) {
				if b == nil {
					v.fail("vhdx virtual disk size could not be read")
					return
				}
				v.size, v.sizeRead = toSize(binary.LittleEndian.Uint64(b))
				if !v.sizeRead {
					v.fail("vhdx virtual size is out of range")
				}
			})
		}
	}
	if !found {
		v.fail("vhdx virtual disk size not found")
	}
}

func (v *vhdx) finish([]byte, int64) (int64, []string) {
	var unsafe []string
	if v.parent {
		unsafe = append(unsafe, "vhdx differencing image references a parent disk")
	}
	if v.problem != "" {
		// Without the whole metadata table a parent locator may go unseen.
		unsafe = append(unsafe, v.problem)
	}
	return v.size, unsafe
}

// entries yields the 32-byte entries of a VHDX table.
func entries(b []byte) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) >= vhdxEntryLen {
			if !yield(b[:vhdxEntryLen]) {
				return
			}
			b = b[vhdxEntryLen:]
		}
	}
}

// guid encodes a GUID in Microsoft's on-disk byte order (the first three
// groups little-endian).
func guid(s string) [16]byte {
	raw, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(raw) != 16 {
		panic("format: bad GUID literal " + s) // package constants only
	}
	var g [16]byte
	copy(g[:], raw)
	g[0], g[1], g[2], g[3] = raw[3], raw[2], raw[1], raw[0]
	g[4], g[5] = raw[5], raw[4]
	g[6], g[7] = raw[7], raw[6]
	return g
}
