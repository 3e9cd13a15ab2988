package ring

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// File format identifiers.
const (
	builderFormat        = "gostack-ring-builder"
	builderFormatVersion = 1
	// ringMagic starts every (decompressed) ring file.
	ringMagic = "GSRING1\n"
	// maxRingHeader bounds the JSON header of a ring file.
	maxRingHeader = 64 << 20
)

// builderFile is the JSON form of a Builder.
type builderFile struct {
	Format             string    `json:"format"`
	FormatVersion      int       `json:"format_version"`
	PartPower          int       `json:"part_power"`
	Replicas           int       `json:"replicas"`
	MinPartHours       int       `json:"min_part_hours"`
	Version            int       `json:"version"`
	Devs               []*Device `json:"devs"`
	Removing           []int     `json:"removing"`
	Replica2Part2Dev   []string  `json:"replica2part2dev,omitempty"`
	LastPartMoves      string    `json:"last_part_moves,omitempty"`
	LastPartMovesEpoch int64     `json:"last_part_moves_epoch"`
}

// WriteTo writes the builder as JSON (partition tables as base64 of
// big-endian uint16 device ids).
func (b *Builder) WriteTo(w io.Writer) (int64, error) {
	f := builderFile{
		Format: builderFormat, FormatVersion: builderFormatVersion,
		PartPower: b.partPower, Replicas: b.replicas, MinPartHours: b.minPartHours,
		Version: b.version, Devs: b.devs, Removing: []int{},
		LastPartMovesEpoch: b.movesEpoch,
	}
	for id := range b.removing {
		f.Removing = append(f.Removing, id)
	}
	slices.Sort(f.Removing)
	for _, row := range b.r2p2d {
		f.Replica2Part2Dev = append(f.Replica2Part2Dev, base64.StdEncoding.EncodeToString(encodeRow(row)))
	}
	if b.lastMoves != nil {
		f.LastPartMoves = base64.StdEncoding.EncodeToString(b.lastMoves)
	}
	data, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return 0, fmt.Errorf("encode builder: %w", err)
	}
	n, err := w.Write(append(data, '\n'))
	return int64(n), err
}

// Save writes the builder file atomically.
func (b *Builder) Save(path string) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := b.WriteTo(w)
		return err
	})
}

// LoadBuilder reads a builder file written by Save.
func LoadBuilder(path string) (*Builder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load builder: %w", err)
	}
	defer f.Close()
	b, err := ReadBuilder(f)
	if err != nil {
		return nil, fmt.Errorf("load builder %s: %w", path, err)
	}
	return b, nil
}

// ReadBuilder decodes and validates a builder written by WriteTo.
func ReadBuilder(r io.Reader) (*Builder, error) {
	var f builderFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("decode builder: %w", err)
	}
	if f.Format != builderFormat || f.FormatVersion != builderFormatVersion {
		return nil, fmt.Errorf("not a gostack ring builder (format %q version %d)", f.Format, f.FormatVersion)
	}
	b, err := NewBuilder(f.PartPower, f.Replicas, f.MinPartHours)
	if err != nil {
		return nil, err
	}
	b.version, b.movesEpoch = f.Version, f.LastPartMovesEpoch
	if err := b.loadDevices(f.Devs, f.Removing); err != nil {
		return nil, err
	}
	if err := b.loadTable(f.Replica2Part2Dev, f.LastPartMoves); err != nil {
		return nil, err
	}
	return b, nil
}

// loadDevices validates and installs decoded devices.
func (b *Builder) loadDevices(devs []*Device, removing []int) error {
	if len(devs) > MaxDevices {
		return fmt.Errorf("%d devices exceed the limit of %d", len(devs), MaxDevices)
	}
	for id, d := range devs {
		if d == nil {
			continue
		}
		if d.ID != id {
			return fmt.Errorf("device at index %d has id %d", id, d.ID)
		}
		if err := d.validate(); err != nil {
			return fmt.Errorf("device %d: %w", id, err)
		}
		for _, o := range devs[:id] {
			if o != nil && sameEndpoint(o, d) {
				return fmt.Errorf("devices %d and %d are both %s:%d/%s", o.ID, id, d.IP, d.Port, d.Name)
			}
		}
	}
	b.devs = devs
	for _, id := range removing {
		if _, err := b.device(id); err != nil {
			return fmt.Errorf("removing list: %w", err)
		}
		b.removing[id] = true
	}
	return nil
}

// loadTable validates and installs a decoded partition table.
func (b *Builder) loadTable(rows []string, lastMoves string) error {
	if len(rows) == 0 {
		if lastMoves != "" {
			return errors.New("last_part_moves without a partition table")
		}
		return nil
	}
	if len(rows) != b.replicas {
		return fmt.Errorf("%d partition table rows for %d replicas", len(rows), b.replicas)
	}
	parts := b.partCount()
	for r, s := range rows {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return fmt.Errorf("replica %d table: %w", r, err)
		}
		if len(raw) != 2*parts {
			return fmt.Errorf("replica %d table has %d bytes, want %d", r, len(raw), 2*parts)
		}
		row := decodeRow(raw)
		for p, id := range row {
			if _, err := b.device(int(id)); err != nil {
				return fmt.Errorf("partition %d replica %d: %w", p, r, err)
			}
		}
		b.r2p2d = append(b.r2p2d, row)
	}
	moves, err := base64.StdEncoding.DecodeString(lastMoves)
	if err != nil {
		return fmt.Errorf("last_part_moves: %w", err)
	}
	if len(moves) != parts {
		return fmt.Errorf("last_part_moves has %d entries, want %d", len(moves), parts)
	}
	b.lastMoves = moves
	return nil
}

func encodeRow(row []uint16) []byte {
	out := make([]byte, 2*len(row))
	for i, id := range row {
		binary.BigEndian.PutUint16(out[2*i:], id)
	}
	return out
}

func decodeRow(raw []byte) []uint16 {
	row := make([]uint16, len(raw)/2)
	for i := range row {
		row[i] = binary.BigEndian.Uint16(raw[2*i:])
	}
	return row
}

// ringHeader is the JSON header of a ring file.
type ringHeader struct {
	PartPower int       `json:"part_power"`
	Replicas  int       `json:"replicas"`
	Version   int       `json:"version"`
	Devs      []*Device `json:"devs"`
}

// Write writes the ring file: gzip of the magic "GSRING1\n", a big-endian
// uint32 header length, the JSON header (part power, replicas, version,
// devices by id) and, replica by replica, each partition's device id as a
// big-endian uint16. The output depends only on the ring's contents.
func (rg *Ring) Write(w io.Writer) error {
	hdr, err := json.Marshal(ringHeader{PartPower: rg.partPower, Replicas: rg.replicas, Version: rg.version, Devs: rg.devs})
	if err != nil {
		return fmt.Errorf("encode ring header: %w", err)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("write ring: %w", err)
	}
	zw.ModTime = time.Time{}
	bw := bufio.NewWriter(zw)
	bw.WriteString(ringMagic)
	binary.Write(bw, binary.BigEndian, uint32(len(hdr)))
	bw.Write(hdr)
	for _, row := range rg.r2p2d {
		bw.Write(encodeRow(row))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write ring: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write ring: %w", err)
	}
	return nil
}

// Save writes the ring file atomically.
func (rg *Ring) Save(path string) error {
	return writeAtomic(path, rg.Write)
}

// LoadRing reads a ring file written by Save.
func LoadRing(path string) (*Ring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load ring: %w", err)
	}
	defer f.Close()
	rg, err := ReadRing(f)
	if err != nil {
		return nil, fmt.Errorf("load ring %s: %w", path, err)
	}
	return rg, nil
}

// ReadRing decodes and validates a ring file written by Write.
func ReadRing(r io.Reader) (*Ring, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("ring file is not gzip: %w", err)
	}
	defer zr.Close()
	br := bufio.NewReader(zr)
	hdr, err := readRingHeader(br)
	if err != nil {
		return nil, err
	}
	for id, d := range hdr.Devs {
		if d == nil {
			continue
		}
		if err := d.validate(); err != nil {
			return nil, fmt.Errorf("ring device %d: %w", id, err)
		}
	}
	if hdr.PartPower < 1 || hdr.PartPower > MaxPartPower || hdr.Replicas < 1 || hdr.Replicas > MaxReplicas {
		return nil, fmt.Errorf("ring header: part power %d or replicas %d out of range", hdr.PartPower, hdr.Replicas)
	}
	table := make([][]uint16, hdr.Replicas)
	for r := range table {
		if table[r], err = readRow(br, 1<<hdr.PartPower); err != nil {
			return nil, fmt.Errorf("ring replica %d: %w", r, err)
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err == nil {
			return nil, errors.New("ring file has trailing data")
		}
		return nil, fmt.Errorf("ring file: %w", err)
	}
	return newRing(hdr.PartPower, hdr.Replicas, hdr.Version, hdr.Devs, table)
}

// readRingHeader checks the magic and decodes the JSON header.
func readRingHeader(br *bufio.Reader) (*ringHeader, error) {
	var pre [len(ringMagic) + 4]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil {
		return nil, fmt.Errorf("ring file too short: %w", err)
	}
	if string(pre[:len(ringMagic)]) != ringMagic {
		return nil, errors.New("not a gostack ring file (bad magic)")
	}
	n := binary.BigEndian.Uint32(pre[len(ringMagic):])
	if n > maxRingHeader {
		return nil, fmt.Errorf("ring header length %d too large", n)
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, br, int64(n)); err != nil {
		return nil, fmt.Errorf("ring header truncated: %w", err)
	}
	var hdr ringHeader
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&hdr); err != nil {
		return nil, fmt.Errorf("ring header: %w", err)
	}
	return &hdr, nil
}

// readRow reads parts big-endian uint16s, growing the slice as data
// arrives so a lying header cannot force a huge allocation.
func readRow(br *bufio.Reader, parts int) ([]uint16, error) {
	row := make([]uint16, 0, min(parts, 1<<16))
	var chunk [8192]byte
	for len(row) < parts {
		n := min(len(chunk), 2*(parts-len(row)))
		if _, err := io.ReadFull(br, chunk[:n]); err != nil {
			return nil, fmt.Errorf("partition table truncated at partition %d: %w", len(row), err)
		}
		for i := 0; i < n; i += 2 {
			row = append(row, binary.BigEndian.Uint16(chunk[i:]))
		}
	}
	return row, nil
}

// writeAtomic writes a file via a temporary file in the same directory and
// a rename, so readers see the old or the new file, never a partial one.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}
