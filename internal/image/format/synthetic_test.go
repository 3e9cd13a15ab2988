package format

import (
	"encoding/binary"
	"strings"
	"testing"
)

// Builders of hand-made images for cases qemu-img cannot produce (hostile or
// broken headers). They are also the fuzz seeds.

// qcow2Image is a v3 qcow2 header (cluster size 64 KiB) padded to size bytes.
func qcow2Image(size int, edit func(h []byte)) []byte {
	b := make([]byte, max(size, 112))
	be := binary.BigEndian
	copy(b, "QFI\xfb")
	be.PutUint32(b[4:], 3)
	be.PutUint32(b[20:], 16)
	be.PutUint64(b[24:], 1<<30)
	be.PutUint32(b[96:], 4)    // refcount order
	be.PutUint32(b[100:], 112) // header length
	if edit != nil {
		edit(b)
	}
	return b
}

// vhdxImage is a minimal VHDX: identifier, region table, metadata table with
// a virtual disk size item (and optionally a parent locator item).
func vhdxImage(size uint64, metaOff int, parent bool) []byte {
	b := make([]byte, max(metaOff+(64<<10)+8, 256<<10))
	le := binary.LittleEndian
	copy(b, "vhdxfile")
	rt := b[vhdxRegionTable:]
	copy(rt, "regi")
	le.PutUint32(rt[8:], 1)
	meta := vhdxMetadataRegion
	copy(rt[16:], meta[:])
	le.PutUint64(rt[32:], uint64(metaOff))
	le.PutUint32(rt[40:], 1<<20)
	mt := b[metaOff:]
	copy(mt, "metadata")
	entries := 1
	vds := vhdxVirtualSize
	copy(mt[32:], vds[:])
	le.PutUint32(mt[48:], 64<<10)
	le.PutUint32(mt[52:], 8)
	if parent {
		entries++
		pl := vhdxParentLocator
		copy(mt[64:], pl[:])
		le.PutUint32(mt[80:], 64<<10+8)
	}
	le.PutUint16(mt[10:], uint16(entries))
	le.PutUint64(mt[64<<10:], size)
	return b
}

// vhdFooterBytes is a VHD footer with a valid checksum.
func vhdFooterBytes(diskType uint32, size uint64) []byte {
	f := make([]byte, vhdFooterLen)
	be := binary.BigEndian
	copy(f, "conectix")
	copy(f[vhdCreatorApp:], "win ")
	be.PutUint64(f[40:], size)
	be.PutUint64(f[vhdCurrentSize:], size)
	be.PutUint32(f[vhdDiskType:], diskType)
	var sum uint32
	for _, c := range f {
		sum += uint32(c)
	}
	be.PutUint32(f[vhdChecksum:], ^sum)
	return f
}

// vdiImage is a VDI header of the given image type.
func vdiImage(imageType uint32, size uint64) []byte {
	b := make([]byte, 1024)
	le := binary.LittleEndian
	copy(b, "<<< QEMU VM Virtual Disk Image >>>\n")
	le.PutUint32(b[vdiSignatureOff:], vdiSignature)
	le.PutUint32(b[0x44:], 0x00010001)
	le.PutUint32(b[vdiImageTypeOff:], imageType)
	le.PutUint64(b[vdiDiskSizeOff:], size)
	return b
}

// vmdkImage is a KDMV header with an embedded descriptor at sector 1.
func vmdkImage(capacity uint64, descriptor string, edit func(h []byte)) []byte {
	b := make([]byte, 64<<10)
	le := binary.LittleEndian
	copy(b, "KDMV")
	le.PutUint32(b[4:], 1)
	le.PutUint64(b[12:], capacity)
	le.PutUint64(b[20:], 128)
	le.PutUint64(b[28:], 1)
	le.PutUint64(b[36:], 20)
	le.PutUint32(b[44:], 512)
	le.PutUint64(b[56:], 21)
	copy(b[512:], descriptor)
	if edit != nil {
		edit(b)
	}
	return b
}

func vmdkDescriptorText(createType, extent string) string {
	return "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"" + createType +
		"\"\n\n# Extent description\n" + extent + "\n\n#DDB\nddb.virtualHWVersion = \"4\"\n"
}

// isoImage is an ISO 9660 volume of blocks 2048-byte blocks, optionally
// with other data at offset 0.
func isoImage(blocks uint32, prefix []byte) []byte {
	b := make([]byte, 40<<10)
	copy(b, prefix)
	pvd := b[isoFirstVD:]
	pvd[0] = isoTypePrimary
	copy(pvd[1:], "CD001")
	pvd[6] = 1
	binary.LittleEndian.PutUint32(pvd[isoVolumeSpace:], blocks)
	binary.BigEndian.PutUint32(pvd[isoVolumeSpace+4:], blocks)
	binary.LittleEndian.PutUint16(pvd[isoBlockSize:], isoSector)
	binary.BigEndian.PutUint16(pvd[isoBlockSize+2:], isoSector)
	term := b[isoFirstVD+isoSector:]
	term[0] = isoTypeTerminator
	copy(term[1:], "CD001")
	return b
}

func TestSyntheticImages(t *testing.T) {
	sparseDesc := vmdkDescriptorText("monolithicSparse", `RW 2048 SPARSE "disk.vmdk"`)
	for _, tc := range []struct {
		name   string
		data   []byte
		format string
		size   int64
		unsafe string // substring; "" means safe
	}{
		{name: "empty", data: nil, format: "raw", size: 0},
		{name: "tiny", data: []byte("QF"), format: "raw", size: 2},
		{name: "qcow2 truncated", data: []byte("QFI\xfb\x00\x00\x00\x03"), format: "qcow2",
			unsafe: "qcow2 header is truncated"},
		{name: "qcow2 v3 plain", data: qcow2Image(200<<10, nil), format: "qcow2", size: 1 << 30},
		{name: "qcow2 unknown feature", data: qcow2Image(0, func(h []byte) { h[79] = 1 << 6 }),
			format: "qcow2", size: 1 << 30, unsafe: "unknown incompatible features (0x40)"},
		{name: "qcow2 version 4", data: qcow2Image(0, func(h []byte) { h[7] = 4 }),
			format: "qcow2", size: 1 << 30, unsafe: "unsupported qcow2 version 4"},
		{name: "qcow2 data file bit, no name", data: qcow2Image(0, func(h []byte) { h[79] = qcow2FeatureDataFile }),
			format: "qcow2", size: 1 << 30, unsafe: "qcow2 image has an external data file"},
		{name: "qcow2 data file name", data: qcow2Image(4096, func(h []byte) {
			h[79] = qcow2FeatureDataFile
			binary.BigEndian.PutUint32(h[112:], 0x6803f857) // feature table, skipped
			binary.BigEndian.PutUint32(h[116:], 5)
			binary.BigEndian.PutUint32(h[128:], qcow2ExtDataFile)
			binary.BigEndian.PutUint32(h[132:], 11)
			copy(h[136:], "/dev/sda1xx")
		}), format: "qcow2", size: 1 << 30, unsafe: `external data file ("/dev/sda1xx")`},
		{name: "qcow2 backing name beyond the head", data: qcow2Image(70<<10, func(h []byte) {
			binary.BigEndian.PutUint64(h[8:], 66<<10)
			binary.BigEndian.PutUint32(h[16:], 11)
			copy(h[66<<10:], "/etc/shadow")
		}), format: "qcow2", size: 1 << 30, unsafe: `backing file ("/etc/shadow")`},
		{name: "qcow2 backing name truncated", data: qcow2Image(0, func(h []byte) {
			binary.BigEndian.PutUint64(h[8:], 1<<20)
			binary.BigEndian.PutUint32(h[16:], 4)
		}), format: "qcow2", size: 1 << 30, unsafe: "qcow2 image has a backing file"},
		{name: "qcow2 negative size", data: qcow2Image(0, func(h []byte) { h[24] = 0xff }),
			format: "qcow2", unsafe: "qcow2 virtual size is out of range"},
		{name: "qcow2 and iso", data: isoImage(20, qcow2Image(0, nil)), format: "qcow2", size: 1 << 30,
			unsafe: "image data matches both qcow2 and iso"},
		{name: "qed", data: append([]byte("QED\x00"), make([]byte, 600)...), format: "qed",
			unsafe: "qed images are not supported"},
		{name: "iso synthetic", data: isoImage(20, nil), format: "iso", size: 20 * 2048},
		{name: "iso with mbr (hybrid)", data: isoImage(30, mbrDisk(1024)), format: "iso", size: 30 * 2048},
		{name: "vhdx", data: vhdxImage(5<<30, 1<<20, false), format: "vhdx", size: 5 << 30},
		{name: "vhdx parent", data: vhdxImage(5<<30, 1<<20, true), format: "vhdx", size: 5 << 30,
			unsafe: "vhdx differencing image references a parent disk"},
		{name: "vhdx metadata before region table", data: vhdxImage(5<<30, 96<<10, false), format: "vhdx",
			unsafe: "vhdx metadata table could not be read"},
		{name: "vhdx truncated", data: []byte("vhdxfile"), format: "vhdx",
			unsafe: "vhdx region table is missing"},
		{name: "vhd differencing", data: append(vhdFooterBytes(vhdTypeDiff, 1<<30), make([]byte, 1024)...),
			format: "vhd", size: 1 << 30, unsafe: "vhd differencing image references a parent disk"},
		{name: "vhd fixed", data: append(make([]byte, 8192), vhdFooterBytes(2, 8192)...), format: "vhd", size: 8192},
		{name: "vhd fixed bad checksum", data: func() []byte {
			b := append(make([]byte, 8192), vhdFooterBytes(2, 8192)...)
			b[len(b)-1] ^= 1
			return b
		}(), format: "raw", size: 8192 + 512},
		{name: "vdi differencing", data: vdiImage(4, 1<<30), format: "vdi", size: 1 << 30,
			unsafe: "vdi image type 4"},
		{name: "vdi truncated", data: vdiImage(1, 1)[:0x100], format: "vdi", unsafe: "vdi header is truncated"},
		{name: "vmdk sparse", data: vmdkImage(2048, sparseDesc, nil), format: "vmdk", size: 2048 * 512},
		{name: "vmdk createType vmfs", data: vmdkImage(2048, vmdkDescriptorText("vmfs", `RW 2048 VMFS "disk.vmdk"`), nil),
			format: "vmdk", size: 2048 * 512, unsafe: `vmdk createType "vmfs" is not allowed`},
		{name: "vmdk flat extent in sparse", data: vmdkImage(2048, vmdkDescriptorText("monolithicSparse", `RW 2048 FLAT "/dev/sda" 0`), nil),
			format: "vmdk", size: 2048 * 512, unsafe: `vmdk extent "/dev/sda" (FLAT) is not this file`},
		{name: "vmdk two extents", data: vmdkImage(2048, vmdkDescriptorText("monolithicSparse", "RW 1024 SPARSE \"a.vmdk\"\nRW 1024 SPARSE \"b.vmdk\""), nil),
			format: "vmdk", size: 2048 * 512, unsafe: "vmdk descriptor lists 2 extents"},
		{name: "vmdk odd line", data: vmdkImage(2048, sparseDesc+"include /etc/passwd\n", nil),
			format: "vmdk", size: 2048 * 512, unsafe: "unrecognised line"},
		{name: "vmdk capacity 0", data: vmdkImage(0, sparseDesc, nil), format: "vmdk",
			unsafe: "vmdk header has capacity 0"},
		{name: "vmdk descriptor elsewhere", data: vmdkImage(2048, sparseDesc, func(h []byte) { h[28] = 9 }),
			format: "vmdk", size: 2048 * 512, unsafe: "vmdk descriptor is not embedded at sector 1"},
		{name: "vmdk parent hint after descriptor", data: vmdkImage(2048, sparseDesc, func(h []byte) {
			h[36] = 1 // a one-sector descriptor, but qemu scans 10 KiB up to the first NUL
			for n := 512 + len(sparseDesc); n < 2048; n++ {
				h[n] = '\n'
			}
			copy(h[2048:], `parentFileNameHint="/srv/other.vmdk"`)
		}), format: "vmdk", size: 2048 * 512, unsafe: `parent file ("/srv/other.vmdk")`},
		{name: "vmdk parent hint after NUL is ignored, as qemu does", data: vmdkImage(2048, sparseDesc, func(h []byte) {
			copy(h[4096:], `parentFileNameHint="/srv/other.vmdk"`)
		}), format: "vmdk", size: 2048 * 512},
		{name: "vmdk footer missing", data: vmdkImage(2048, sparseDesc, func(h []byte) {
			binary.LittleEndian.PutUint64(h[56:], vmdkGDAtEnd)
		}), format: "vmdk", unsafe: "vmdk footer is missing or invalid"},
		{name: "vmdk version 4", data: vmdkImage(2048, sparseDesc, func(h []byte) { h[4] = 4 }),
			format: "vmdk", size: 2048 * 512, unsafe: "unsupported vmdk version 4"},
		{name: "vmdk descriptor file", data: []byte(vmdkDescriptorText("twoGbMaxExtentFlat", "RW 4096 FLAT \"a-f001.vmdk\" 0\nRW 4096 FLAT \"a-f002.vmdk\" 0")),
			format: "vmdk", size: 8192 * 512, unsafe: `refers to extent file "a-f001.vmdk"`},
		{name: "vmdk descriptor without extents", data: []byte("version=1\n"), format: "vmdk",
			unsafe: "holds no data of its own"},
		{name: "vmdk descriptor blank lines", data: []byte("# x\n   \r\nversion=2\r\nRW 8 ZERO\n"), format: "vmdk",
			size: 8 * 512, unsafe: "holds no data of its own"},
		{name: "text with empty line first is raw", data: []byte("\nversion=1\n"), format: "raw", size: 11},
		{name: "text is raw", data: []byte("hello, world\nversion=1\n"), format: "raw", size: 23},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, in := inspect(tc.data, max(len(tc.data), 1))
			if want.Format != tc.format || want.VirtualSize != tc.size {
				t.Errorf("got %+v, want format %q size %d", want, tc.format, tc.size)
			}
			if tc.unsafe == "" && want.Unsafe != "" {
				t.Errorf("unexpectedly unsafe: %s", want.Unsafe)
			}
			if tc.unsafe != "" && !strings.Contains(want.Unsafe, tc.unsafe) {
				t.Errorf("Unsafe = %q, want it to contain %q", want.Unsafe, tc.unsafe)
			}
			if in.peak > boundedPeak {
				t.Errorf("peak captured bytes %d > %d", in.peak, boundedPeak)
			}
			for _, chunk := range chunkSizes(len(tc.data)) {
				if got, _ := inspect(tc.data, chunk); got != want {
					t.Errorf("chunk %d: %+v, whole: %+v", chunk, got, want)
				}
			}
		})
	}
}

// TestInfoIsFinal checks Info settles the result: later Writes are ignored
// and repeated calls agree.
func TestInfoIsFinal(t *testing.T) {
	i := NewInspector()
	i.Write(qcow2Image(0, nil))
	first := i.Info()
	if n, err := i.Write([]byte("more")); n != 4 || err != nil {
		t.Fatalf("Write after Info = %d, %v", n, err)
	}
	if again := i.Info(); again != first || first.Format != "qcow2" {
		t.Fatalf("Info changed: %+v then %+v", first, again)
	}
}
