package format

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	raw := Info{Format: "raw", VirtualSize: 1 << 20}
	for _, tc := range []struct {
		info       Info
		diskFormat string
		want       string
		kind       error
	}{
		{raw, "raw", "", nil},
		{raw, "ami", "", nil},
		{raw, "ari", "", nil},
		{raw, "aki", "", nil},
		{raw, "ploop", "", nil},
		{raw, "qcow2", "image data is raw but disk_format is qcow2", ErrMismatch},
		{raw, "iso", "image data is raw but disk_format is iso", ErrMismatch},
		{Info{Format: "qcow2"}, "qcow2", "", nil},
		{Info{Format: "qcow2"}, "raw", "image data is qcow2 but disk_format is raw", ErrMismatch},
		{Info{Format: "qcow2"}, "ami", "image data is qcow2 but disk_format is ami", ErrMismatch},
		{Info{Format: "vhd"}, "vhd", "", nil},
		{Info{Format: "vhd"}, "vpc", "", nil},
		{Info{Format: "vhdx"}, "vhd", "image data is vhdx but disk_format is vhd", ErrMismatch},
		{Info{Format: "vhdx"}, "vhdx", "", nil},
		{Info{Format: "vmdk"}, "vmdk", "", nil},
		{Info{Format: "vdi"}, "vdi", "", nil},
		{Info{Format: "iso"}, "iso", "", nil},
		{Info{Format: "iso"}, "raw", "image data is iso but disk_format is raw", ErrMismatch},
		{Info{Format: "qed", Unsafe: "qed images are not supported"}, "raw", "qed images are not supported: refused", ErrRefused},
		{Info{Format: "qcow2", Unsafe: `qcow2 image has a backing file ("/etc/passwd")`}, "qcow2",
			`qcow2 image has a backing file ("/etc/passwd"): refused`, ErrRefused},
		{raw, "floppy", `unknown disk_format "floppy"`, ErrUnknownDiskFormat},
		{raw, "", `unknown disk_format ""`, ErrUnknownDiskFormat},
		{Info{}, "raw", "image data was not inspected", ErrMismatch},
	} {
		err := Check(tc.info, tc.diskFormat)
		if got := errString(err); got != tc.want {
			t.Errorf("Check(%+v, %q) = %q, want %q", tc.info, tc.diskFormat, got, tc.want)
		}
		if tc.kind != nil && !errors.Is(err, tc.kind) {
			t.Errorf("Check(%+v, %q) = %v, want errors.Is %v", tc.info, tc.diskFormat, err, tc.kind)
		}
	}
}

func TestDataFormat(t *testing.T) {
	for disk, want := range map[string]string{"vpc": "vhd", "aki": "raw", "qcow2": "qcow2", "iso": "iso"} {
		if got, ok := DataFormat(disk); !ok || got != want {
			t.Errorf("DataFormat(%q) = %q, %v; want %q", disk, got, ok, want)
		}
	}
	if _, ok := DataFormat("QCOW2"); ok {
		t.Error("disk formats are case-sensitive, as in Glance")
	}
}
