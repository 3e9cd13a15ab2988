package format

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireTools fails (never skips) when the image tools are missing.
func requireTools(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"qemu-img", "genisoimage"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required to build test images: apt-get install qemu-utils genisoimage", tool)
		}
	}
}

// run runs a command in dir, failing the test with its output on error.
func run(t testing.TB, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// qemuSize is the virtual size qemu-img reports for path read as format.
func qemuSize(t testing.TB, path, format string) int64 {
	t.Helper()
	out, err := exec.Command("qemu-img", "info", "-f", format, "--output=json", path).Output()
	if err != nil {
		t.Fatalf("qemu-img info -f %s %s: %v", format, path, err)
	}
	var info struct {
		VirtualSize int64 `json:"virtual-size"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("qemu-img info output: %v", err)
	}
	return info.VirtualSize
}

// inspect feeds data through a new Inspector in chunks of the given size.
func inspect(data []byte, chunk int) (Info, *Inspector) {
	i := NewInspector()
	for len(data) > 0 {
		n := min(chunk, len(data))
		if w, err := i.Write(data[:n]); w != n || err != nil {
			panic("Write must never fail")
		}
		data = data[n:]
	}
	return i.Info(), i
}

// chunkSizes are the chunkings every image is fed in; results must agree.
func chunkSizes(size int) []int {
	sizes := []int{7, 4096, 1 << 20, max(size, 1)}
	if size <= 1<<20 {
		sizes = append([]int{1}, sizes...)
	}
	return sizes
}

// imageCase is one real image built with qemu-img or genisoimage.
type imageCase struct {
	name string
	// build creates the image in dir and returns its file name.
	build func(t *testing.T, dir string) string
	// format is what the inspector must find; qemuFormat, if set, is the
	// qemu-img driver whose virtual size must match ours.
	format     string
	qemuFormat string
	// unsafe is a substring of the expected Unsafe reason, "" for safe.
	unsafe string
}

func qemuImg(file string, args ...string) func(*testing.T, string) string {
	return func(t *testing.T, dir string) string {
		run(t, dir, "qemu-img", append([]string{"create", "-q"}, args...)...)
		return file
	}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func imageCases() []imageCase {
	return []imageCase{
		{name: "qcow2 v2", build: qemuImg("a.qcow2", "-f", "qcow2", "-o", "compat=0.10", "a.qcow2", "64M"),
			format: "qcow2", qemuFormat: "qcow2"},
		{name: "qcow2 v3", build: qemuImg("a.qcow2", "-f", "qcow2", "-o", "compat=1.1", "a.qcow2", "1G"),
			format: "qcow2", qemuFormat: "qcow2"},
		{name: "qcow2 v3 64k+ clusters", build: qemuImg("a.qcow2", "-f", "qcow2", "-o", "cluster_size=2M", "a.qcow2", "3G"),
			format: "qcow2", qemuFormat: "qcow2"},
		{name: "qcow2 backing file", build: qemuImg("b.qcow2", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw", "b.qcow2", "64M"),
			format: "qcow2", qemuFormat: "qcow2", unsafe: `qcow2 image has a backing file ("/etc/passwd")`},
		{name: "qcow2 data file", build: qemuImg("c.qcow2", "-f", "qcow2", "-o", "data_file=c.data", "c.qcow2", "64M"),
			format: "qcow2", qemuFormat: "qcow2", unsafe: `qcow2 image has an external data file ("c.data")`},
		{name: "vmdk monolithicSparse", build: qemuImg("a.vmdk", "-f", "vmdk", "-o", "subformat=monolithicSparse", "a.vmdk", "100M"),
			format: "vmdk", qemuFormat: "vmdk"},
		{name: "vmdk streamOptimized", build: qemuImg("a.vmdk", "-f", "vmdk", "-o", "subformat=streamOptimized", "a.vmdk", "100M"),
			format: "vmdk", qemuFormat: "vmdk"},
		{name: "vmdk streamOptimized footer", build: buildVMDKFooter,
			format: "vmdk", qemuFormat: "vmdk"},
		{name: "vmdk monolithicFlat", build: qemuImg("f.vmdk", "-f", "vmdk", "-o", "subformat=monolithicFlat", "f.vmdk", "10M"),
			format: "vmdk", qemuFormat: "vmdk", unsafe: `refers to extent file "f-flat.vmdk"`},
		{name: "vmdk twoGbMaxExtentSparse", build: qemuImg("s.vmdk", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", "s.vmdk", "10M"),
			format: "vmdk", qemuFormat: "vmdk", unsafe: `refers to extent file "s-s001.vmdk"`},
		{name: "vmdk with parent", build: func(t *testing.T, dir string) string {
			run(t, dir, "qemu-img", "create", "-q", "-f", "vmdk", "base.vmdk", "10M")
			run(t, dir, "qemu-img", "create", "-q", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", "child.vmdk")
			return "child.vmdk"
		}, format: "vmdk", qemuFormat: "vmdk", unsafe: `vmdk image has a parent file ("base.vmdk")`},
		{name: "vhd dynamic", build: qemuImg("a.vhd", "-f", "vpc", "a.vhd", "100M"),
			format: "vhd", qemuFormat: "vpc"},
		{name: "vhd dynamic force_size", build: qemuImg("a.vhd", "-f", "vpc", "-o", "force_size=on", "a.vhd", "100M"),
			format: "vhd", qemuFormat: "vpc"},
		{name: "vhd fixed", build: qemuImg("f.vhd", "-f", "vpc", "-o", "subformat=fixed", "f.vhd", "16M"),
			format: "vhd", qemuFormat: "vpc"},
		{name: "vhdx", build: qemuImg("a.vhdx", "-f", "vhdx", "a.vhdx", "1G"),
			format: "vhdx", qemuFormat: "vhdx"},
		{name: "vdi dynamic", build: qemuImg("a.vdi", "-f", "vdi", "a.vdi", "100M"),
			format: "vdi", qemuFormat: "vdi"},
		{name: "vdi static", build: qemuImg("s.vdi", "-f", "vdi", "-o", "static=on", "s.vdi", "4M"),
			format: "vdi", qemuFormat: "vdi"},
		{name: "iso", build: func(t *testing.T, dir string) string {
			src := filepath.Join(dir, "src")
			if err := os.MkdirAll(src, 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, src, "hello.txt", []byte("hello\n"))
			writeFile(t, src, "blob.bin", bytes.Repeat([]byte{0xa5}, 300<<10))
			run(t, dir, "genisoimage", "-quiet", "-R", "-J", "-V", "TEST", "-o", "a.iso", "src")
			return "a.iso"
		}, format: "iso", qemuFormat: "raw"},
		{name: "raw zeros", build: qemuImg("z.raw", "-f", "raw", "z.raw", "3M"),
			format: "raw", qemuFormat: "raw"},
		{name: "raw random", build: func(t *testing.T, dir string) string {
			b := make([]byte, 1<<20+3*512)
			rand.Read(b)
			return writeFile(t, dir, "r.raw", b)
		}, format: "raw", qemuFormat: "raw"},
		// qemu rounds a raw file up to whole sectors; the inspector reports
		// the bytes it read.
		{name: "raw random unaligned", build: func(t *testing.T, dir string) string {
			b := make([]byte, 1<<20+123)
			rand.Read(b)
			return writeFile(t, dir, "u.raw", b)
		}, format: "raw"},
		{name: "raw mbr", build: func(t *testing.T, dir string) string {
			return writeFile(t, dir, "m.raw", mbrDisk(2<<20))
		}, format: "raw", qemuFormat: "raw"},
		{name: "raw gpt", build: func(t *testing.T, dir string) string {
			return writeFile(t, dir, "g.raw", gptDisk(2<<20))
		}, format: "raw", qemuFormat: "raw"},
	}
}

// TestRealImages builds every format with the real tools and checks the
// inspector agrees with qemu-img, whatever the chunking.
func TestRealImages(t *testing.T) {
	requireTools(t)
	for _, tc := range imageCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.build(t, dir))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := inspect(data, len(data))
			if want.Format != tc.format {
				t.Fatalf("format = %q, want %q (info %+v)", want.Format, tc.format, want)
			}
			if tc.unsafe == "" && want.Unsafe != "" {
				t.Fatalf("unexpectedly unsafe: %s", want.Unsafe)
			}
			if tc.unsafe != "" && !strings.Contains(want.Unsafe, tc.unsafe) {
				t.Fatalf("Unsafe = %q, want it to contain %q", want.Unsafe, tc.unsafe)
			}
			if tc.qemuFormat != "" {
				if q := qemuSize(t, path, tc.qemuFormat); want.VirtualSize != q {
					t.Errorf("VirtualSize = %d, qemu-img says %d", want.VirtualSize, q)
				}
			} else if tc.format == "raw" && want.VirtualSize != int64(len(data)) {
				t.Errorf("VirtualSize = %d, want %d bytes read", want.VirtualSize, len(data))
			}
			for _, chunk := range chunkSizes(len(data)) {
				if got, _ := inspect(data, chunk); got != want {
					t.Errorf("chunk %d: %+v, whole: %+v", chunk, got, want)
				}
			}
		})
	}
}

// TestCheckRealImages checks the upload verdicts on real images.
func TestCheckRealImages(t *testing.T) {
	requireTools(t)
	dir := t.TempDir()
	info := func(build func(*testing.T, string) string) Info {
		data, err := os.ReadFile(filepath.Join(dir, build(t, dir)))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := inspect(data, 4096)
		return got
	}
	backing := info(qemuImg("b.qcow2", "-f", "qcow2", "-b", "/etc/passwd", "-F", "raw", "b.qcow2", "64M"))
	plain := info(qemuImg("p.qcow2", "-f", "qcow2", "p.qcow2", "64M"))
	flat := info(qemuImg("f.vmdk", "-f", "vmdk", "-o", "subformat=monolithicFlat", "f.vmdk", "1M"))
	vhd := info(qemuImg("a.vhd", "-f", "vpc", "a.vhd", "1M"))
	for _, tc := range []struct {
		info       Info
		diskFormat string
		want       string
	}{
		{backing, "qcow2", `qcow2 image has a backing file ("/etc/passwd"): refused`},
		{backing, "raw", `qcow2 image has a backing file ("/etc/passwd"): refused`},
		{plain, "qcow2", ""},
		{plain, "raw", "image data is qcow2 but disk_format is raw"},
		{flat, "vmdk", `vmdk descriptor (createType "monolithicFlat") refers to extent file "f-flat.vmdk": refused`},
		{vhd, "vhd", ""},
		{vhd, "vpc", ""},
		{vhd, "vhdx", "image data is vhd but disk_format is vhdx"},
	} {
		err := Check(tc.info, tc.diskFormat)
		if got := errString(err); got != tc.want {
			t.Errorf("Check(%s, %q) = %q, want %q", tc.info.Format, tc.diskFormat, got, tc.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// buildVMDKFooter makes a streamOptimized VMDK whose header defers to a
// footer (grain directory "at end"), as VMware's tools write them, and gives
// the footer a different capacity so the test shows which one is used.
func buildVMDKFooter(t *testing.T, dir string) string {
	run(t, dir, "qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized", "s.vmdk", "64M")
	data, err := os.ReadFile(filepath.Join(dir, "s.vmdk"))
	if err != nil {
		t.Fatal(err)
	}
	footer := make([]byte, 3*512)
	binary.LittleEndian.PutUint32(footer[12:], vmdkMarkerFooter)
	copy(footer[512:], data[:512])
	binary.LittleEndian.PutUint64(footer[512+12:], 2*binary.LittleEndian.Uint64(data[12:]))
	binary.LittleEndian.PutUint64(data[56:], vmdkGDAtEnd)
	return writeFile(t, dir, "footer.vmdk", append(data, footer...))
}

// mbrDisk is a raw disk of size bytes with a DOS partition table.
func mbrDisk(size int) []byte {
	b := make([]byte, size)
	copy(b, []byte{0xfa, 0x31, 0xc0, 0x8e, 0xd8}) // a little boot code
	p := b[446:]
	p[0] = 0x80 // bootable
	p[4] = 0x83 // Linux
	binary.LittleEndian.PutUint32(p[8:], 2048)
	binary.LittleEndian.PutUint32(p[12:], uint32(size/512-2048))
	b[510], b[511] = 0x55, 0xaa
	return b
}

// gptDisk is a raw disk of size bytes with a protective MBR and a GPT header.
func gptDisk(size int) []byte {
	b := make([]byte, size)
	p := b[446:]
	p[4] = 0xee
	binary.LittleEndian.PutUint32(p[8:], 1)
	binary.LittleEndian.PutUint32(p[12:], uint32(size/512-1))
	b[510], b[511] = 0x55, 0xaa
	copy(b[512:], "EFI PART")
	binary.LittleEndian.PutUint32(b[512+8:], 0x00010000)
	return b
}
