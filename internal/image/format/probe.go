package format

import (
	"bytes"
	"encoding/binary"
)

// probe picks the parser for a format whose signature is at the start of the
// image, or nil when none matches (raw, iso, or a fixed VHD known only from
// its footer).
func probe(head []byte) parser {
	switch {
	case bytes.HasPrefix(head, []byte("QFI\xfb")):
		return &qcow2{}
	case bytes.HasPrefix(head, []byte("QED\x00")):
		return qed{}
	case bytes.HasPrefix(head, []byte("KDMV")):
		return &vmdkSparse{}
	case bytes.HasPrefix(head, []byte("vhdxfile")):
		return &vhdx{}
	case bytes.HasPrefix(head, []byte("conectix")):
		return &vhdDynamic{}
	case len(head) >= vdiSignatureOff+4 && binary.LittleEndian.Uint32(head[vdiSignatureOff:]) == vdiSignature:
		return &vdi{}
	case isVMDKDescriptor(head):
		return &vmdkDescriptor{}
	}
	return nil
}

// qed is QEMU's enhanced disk format: recognised so it is never mistaken for
// raw, and refused like Glance does, since nothing in OpenStack supports it.
type qed struct{}

func (qed) name() string     { return "qed" }
func (qed) start(*Inspector) {}
func (qed) finish([]byte, int64) (int64, []string) {
	return 0, []string{"qed images are not supported"}
}
