package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// VMDK sparse ("KDMV") header layout (little-endian), as qemu's block/vmdk.c
// reads it.
const (
	vmdkSector        = 512
	vmdkMaxVersion    = 3
	vmdkGDAtEnd       = ^uint64(0)      // grain directory (and real header) in the footer
	vmdkParentScanLen = 20 * vmdkSector // qemu looks for parentFileNameHint here
	vmdkMarkerFooter  = 3
	vmdkMarkerEOS     = 0
)

// vmdkAllowedTypes are the createTypes that keep all data in the one file,
// the same allow-list Glance uses.
var vmdkAllowedTypes = map[string]bool{"monolithicSparse": true, "streamOptimized": true}

// vmdkSparse inspects a hosted sparse VMDK (monolithicSparse or
// streamOptimized): a binary header, then an embedded text descriptor at
// sector 1 that must list only this file and name no parent.
type vmdkSparse struct {
	truncated   bool
	header      []string // reasons found in the header
	descriptor  []string // reasons found in the descriptor
	capacity    uint64   // sectors
	gdAtEnd     bool
	descMissing bool
}

func (v *vmdkSparse) name() string { return "vmdk" }

func (v *vmdkSparse) start(i *Inspector) {
	i.need(0, vmdkSector, func(b []byte) { v.parseHeader(i, b) })
}

func (v *vmdkSparse) parseHeader(i *Inspector, b []byte) {
	if b == nil {
		v.truncated = true
		return
	}
	le := binary.LittleEndian
	version := le.Uint32(b[4:])
	v.capacity = le.Uint64(b[12:])
	descOff := le.Uint64(b[28:])
	descSize := le.Uint64(b[36:])
	v.gdAtEnd = le.Uint64(b[56:]) == vmdkGDAtEnd
	if version > vmdkMaxVersion {
		v.header = append(v.header, fmt.Sprintf("unsupported vmdk version %d", version))
	}
	if v.capacity == 0 && descOff != 0 {
		// qemu then opens the embedded descriptor as a descriptor file and
		// follows its extents wherever they point.
		v.header = append(v.header, "vmdk header has capacity 0, deferring to its descriptor's extents")
	}
	if descOff != 1 || descSize == 0 {
		v.header = append(v.header, "vmdk descriptor is not embedded at sector 1")
		return
	}
	if descSize > maxWant/vmdkSector {
		v.header = append(v.header, "vmdk descriptor is larger than 64 KiB")
		return
	}
	n := max(int(descSize)*vmdkSector, vmdkParentScanLen)
	i.need(vmdkSector, n, func(b []byte) { v.parseDescriptor(b, int(descSize)*vmdkSector) })
}

// parseDescriptor checks the embedded descriptor (its first size bytes) and
// the region qemu searches for a parent file name.
func (v *vmdkSparse) parseDescriptor(b []byte, size int) {
	if b == nil {
		v.descMissing = true
		return
	}
	if parent, ok := vmdkParent(b[:vmdkParentScanLen]); ok {
		v.descriptor = append(v.descriptor, "vmdk image has a parent file"+quoted(parent))
	}
	d := parseVMDKDescriptor(cString(b[:size]))
	switch {
	case d.badLine != "":
		v.descriptor = append(v.descriptor, fmt.Sprintf("vmdk descriptor has an unrecognised line %q", clip(d.badLine)))
	case !vmdkAllowedTypes[d.createType]:
		v.descriptor = append(v.descriptor, fmt.Sprintf("vmdk createType %q is not allowed", clip(d.createType)))
	case len(d.extents) == 0:
		v.descriptor = append(v.descriptor, "vmdk descriptor lists no extents")
	case len(d.extents) > 1:
		v.descriptor = append(v.descriptor, fmt.Sprintf("vmdk descriptor lists %d extents: data outside this file", len(d.extents)))
	default:
		e := d.extents[0]
		if e.kind != "SPARSE" || e.file == "" || strings.ContainsAny(e.file, `/\`) {
			v.descriptor = append(v.descriptor, fmt.Sprintf("vmdk extent %q (%s) is not this file", clip(e.file), clip(e.kind)))
		}
	}
}

func (v *vmdkSparse) finish(tail []byte, _ int64) (int64, []string) {
	if v.truncated {
		return 0, []string{"vmdk header is truncated"}
	}
	unsafe := append([]string(nil), v.header...)
	if v.descMissing {
		unsafe = append(unsafe, "vmdk descriptor is truncated")
	}
	unsafe = append(unsafe, v.descriptor...)
	capacity := v.capacity
	if v.gdAtEnd {
		c, ok := vmdkFooterCapacity(tail)
		if !ok {
			unsafe = append(unsafe, "vmdk footer is missing or invalid")
		}
		capacity = c
	}
	if capacity > maxOffset/vmdkSector {
		return 0, append(unsafe, "vmdk capacity is out of range")
	}
	return int64(capacity) * vmdkSector, unsafe
}

// vmdkFooterCapacity reads the capacity from the footer a streamOptimized
// VMDK with its grain directory at the end carries in its last three sectors
// (footer marker, footer header, end-of-stream marker), which qemu prefers
// to the header.
func vmdkFooterCapacity(tail []byte) (uint64, bool) {
	if len(tail) < 3*vmdkSector {
		return 0, false
	}
	f := tail[len(tail)-3*vmdkSector:]
	le := binary.LittleEndian
	marker, header, eos := f[:vmdkSector], f[vmdkSector:2*vmdkSector], f[2*vmdkSector:]
	if le.Uint32(marker[8:]) != 0 || le.Uint32(marker[12:]) != vmdkMarkerFooter ||
		!bytes.HasPrefix(header, []byte("KDMV")) ||
		le.Uint64(eos[0:]) != 0 || le.Uint32(eos[8:]) != 0 || le.Uint32(eos[12:]) != vmdkMarkerEOS {
		return 0, false
	}
	return le.Uint64(header[12:]), true
}

// vmdkParent finds parentFileNameHint="…" the way qemu does: anywhere in the
// descriptor area before the first NUL.
func vmdkParent(b []byte) (string, bool) {
	s := cString(b)
	const key = "parentFileNameHint"
	at := strings.Index(s, key)
	if at < 0 {
		return "", false
	}
	rest := s[at+len(key):]
	if open := strings.IndexByte(rest, '"'); open >= 0 {
		rest = rest[open+1:]
		if end := strings.IndexByte(rest, '"'); end >= 0 {
			return rest[:end], true
		}
	}
	return "", true
}

// vmdkDescriptor inspects a VMDK text descriptor uploaded on its own
// (monolithicFlat, twoGbMaxExtent*, vmfs …): all its data lives in other
// files, so it is always refused.
type vmdkDescriptor struct {
	d vmdkDesc
}

func (v *vmdkDescriptor) name() string { return "vmdk" }

func (v *vmdkDescriptor) start(i *Inspector) {
	v.d = parseVMDKDescriptor(cString(i.head))
}

func (v *vmdkDescriptor) finish([]byte, int64) (int64, []string) {
	var sectors uint64
	var file string
	for _, e := range v.d.extents {
		// Both terms are at most 2^53, so the sum cannot wrap.
		sectors = min(sectors+min(e.sectors, maxOffset/vmdkSector), maxOffset/vmdkSector)
		if file == "" {
			file = e.file
		}
	}
	size := int64(sectors) * vmdkSector
	if file != "" {
		return size, []string{fmt.Sprintf("vmdk descriptor (createType %q) refers to extent file %q", clip(v.d.createType), clip(file))}
	}
	return size, []string{fmt.Sprintf("vmdk descriptor (createType %q) holds no data of its own", clip(v.d.createType))}
}

// isVMDKDescriptor reports whether head is a VMDK text descriptor, by qemu's
// rule: after comment and blank lines, a "version=1|2|3" line.
func isVMDKDescriptor(head []byte) bool {
	s := head
	for len(s) > 0 {
		line, rest, found := bytes.Cut(s, []byte("\n"))
		if !found {
			return false
		}
		switch {
		case bytes.HasPrefix(line, []byte("#")):
		case bytes.HasPrefix(line, []byte(" ")):
			// Only blank lines (spaces, maybe a CR) may precede version=.
			if rest := bytes.TrimLeft(line, " "); len(rest) > 0 && string(rest) != "\r" {
				return false
			}
		default:
			line = bytes.TrimSuffix(line, []byte("\r"))
			return len(line) == len("version=1") && bytes.HasPrefix(line, []byte("version=")) &&
				line[8] >= '1' && line[8] <= '3'
		}
		s = rest
	}
	return false
}

// vmdkDesc is what a VMDK descriptor says.
type vmdkDesc struct {
	createType string
	extents    []vmdkExtent
	badLine    string // first line that is neither comment, field, ddb nor extent
}

// vmdkExtent is one extent line: ACCESS SECTORS TYPE ["FILE" [OFFSET]].
type vmdkExtent struct {
	sectors uint64
	kind    string
	file    string
}

// parseVMDKDescriptor parses descriptor text cautiously, like Glance: every
// line must be a comment, a key=value field, a ddb entry or an extent.
func parseVMDKDescriptor(text string) vmdkDesc {
	var d vmdkDesc
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		first, _, _ := strings.Cut(line, " ")
		key, value, isField := strings.Cut(line, "=")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "ddb"):
		case isVMDKAccess(first):
			if e, ok := parseVMDKExtent(line); ok {
				d.extents = append(d.extents, e)
			} else if d.badLine == "" {
				d.badLine = line
			}
		case isField && !strings.ContainsAny(strings.TrimSpace(key), " \t"):
			if strings.TrimSpace(key) == "createType" {
				d.createType = strings.Trim(strings.TrimSpace(value), `"`)
			}
		default:
			if d.badLine == "" {
				d.badLine = line
			}
		}
	}
	return d
}

func isVMDKAccess(word string) bool {
	switch strings.ToUpper(word) {
	case "RW", "RDONLY", "NOACCESS":
		return true
	}
	return false
}

// parseVMDKExtent parses `ACCESS SECTORS TYPE ["FILE" [OFFSET]]`.
func parseVMDKExtent(line string) (vmdkExtent, bool) {
	fields := strings.SplitN(line, " ", 4)
	if len(fields) < 3 {
		return vmdkExtent{}, false
	}
	sectors, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return vmdkExtent{}, false
	}
	e := vmdkExtent{sectors: sectors, kind: strings.ToUpper(fields[2])}
	if len(fields) == 4 {
		rest := strings.TrimSpace(fields[3])
		if !strings.HasPrefix(rest, `"`) {
			return vmdkExtent{}, false
		}
		name, _, ok := strings.Cut(rest[1:], `"`)
		if !ok {
			return vmdkExtent{}, false
		}
		e.file = name
	}
	return e, true
}

// cString returns b up to its first NUL, as text.
func cString(b []byte) string {
	if at := bytes.IndexByte(b, 0); at >= 0 {
		b = b[:at]
	}
	return string(b)
}

// clip shortens text taken from an image for an error message.
func clip(s string) string {
	const limit = 64
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
