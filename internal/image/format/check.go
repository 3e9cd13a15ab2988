package format

import (
	"errors"
	"fmt"
)

// Errors Check wraps, so callers can tell the cases apart with errors.Is.
var (
	// ErrRefused: the image is unsafe (it references other files, or could
	// not be inspected).
	ErrRefused = errors.New("refused")
	// ErrMismatch: the image data is not in the declared disk_format.
	ErrMismatch = errors.New("image data does not match disk_format")
	// ErrUnknownDiskFormat: the disk_format is not one Glance knows.
	ErrUnknownDiskFormat = errors.New("unknown disk_format")
)

// dataFormats maps each Glance disk_format to the format its bytes must have.
var dataFormats = map[string]string{
	"raw":   "raw",
	"ami":   "raw",
	"ari":   "raw",
	"aki":   "raw",
	"ploop": "raw",
	"qcow2": "qcow2",
	"vmdk":  "vmdk",
	"vhd":   "vhd",
	"vpc":   "vhd", // qemu's name for VHD
	"vhdx":  "vhdx",
	"vdi":   "vdi",
	"iso":   "iso",
}

// DataFormat returns the inspected format that bytes declared as the Glance
// disk_format must have, and whether disk_format is known.
func DataFormat(diskFormat string) (string, bool) {
	f, ok := dataFormats[diskFormat]
	return f, ok
}

// Check returns nil when info fits the declared Glance disk_format, else an
// error whose message says what is wrong, e.g. `image data is qcow2 but
// disk_format is raw`, `qcow2 image has a backing file ("/etc/passwd"):
// refused`. Mapping: vhd↔"vhd" (also known as vpc), iso↔"iso", disk formats
// ami/ari/aki/ploop and "raw" accept raw data; declaring raw while the bytes
// are qcow2 is a mismatch; an unsafe image is always refused.
func Check(info Info, diskFormat string) error {
	if info.Unsafe != "" {
		return &checkError{msg: info.Unsafe + ": refused", kind: ErrRefused}
	}
	want, ok := DataFormat(diskFormat)
	if !ok {
		return &checkError{msg: fmt.Sprintf("unknown disk_format %q", diskFormat), kind: ErrUnknownDiskFormat}
	}
	if info.Format == "" {
		return &checkError{msg: "image data was not inspected", kind: ErrMismatch}
	}
	if info.Format != want {
		return &checkError{
			msg:  fmt.Sprintf("image data is %s but disk_format is %s", info.Format, diskFormat),
			kind: ErrMismatch,
		}
	}
	return nil
}

// checkError carries Check's message and the sentinel it matches.
type checkError struct {
	msg  string
	kind error
}

func (e *checkError) Error() string { return e.msg }
func (e *checkError) Unwrap() error { return e.kind }
