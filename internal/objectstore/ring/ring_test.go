package ring

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// builtRing rebalances a builder over specs and returns it with its ring.
func builtRing(t testing.TB, power, replicas int, specs []devSpec) (*Builder, *Ring) {
	t.Helper()
	b, _ := newTestBuilder(t, power, replicas, 1, specs)
	if _, _, err := b.Rebalance(1); err != nil {
		t.Fatal(err)
	}
	rg, err := b.Ring()
	if err != nil {
		t.Fatal(err)
	}
	rg.SetHashPath("", "changeme")
	return b, rg
}

func TestGetNodes(t *testing.T) {
	b, rg := builtRing(t, 10, 3, layout12)
	tests := []struct {
		a, c, o  string
		wantPart uint32 // from TestHashPathAndPartition's independent table
		ok       bool
	}{
		{"AUTH_test", "", "", 628, true},
		{"AUTH_test", "photos", "", 477, true},
		{"AUTH_test", "photos", "cat.jpg", 142601 >> 8, true},
		{"AUTH_test", "", "cat.jpg", 0, false},
		{"", "", "", 0, false},
	}
	for _, tt := range tests {
		part, nodes, err := rg.GetNodes(tt.a, tt.c, tt.o)
		if (err == nil) != tt.ok {
			t.Fatalf("GetNodes(%q,%q,%q) err = %v", tt.a, tt.c, tt.o, err)
		}
		if !tt.ok {
			continue
		}
		if part != tt.wantPart {
			t.Errorf("GetNodes(%q,%q,%q) partition %d, want %d", tt.a, tt.c, tt.o, part, tt.wantPart)
		}
		if len(nodes) != 3 {
			t.Fatalf("got %d nodes", len(nodes))
		}
		for r, d := range nodes {
			if want := int(b.r2p2d[r][part]); d.ID != want {
				t.Errorf("replica %d on %d, builder says %d", r, d.ID, want)
			}
		}
	}
	if rg.PartNodes(1<<10) != nil {
		t.Error("PartNodes out of range returned devices")
	}
	// A device holding several replicas is listed once.
	_, one := builtRing(t, 4, 3, layout1)
	if n := one.PartNodes(3); len(n) != 1 {
		t.Errorf("single-device ring lists %d primaries", len(n))
	}
}

func TestHandoffs(t *testing.T) {
	specs := []devSpec{
		{1, 1, "10.0.1.1", 100}, {1, 1, "10.0.1.2", 100},
		{1, 2, "10.0.2.1", 100}, {1, 2, "10.0.2.2", 100},
		{1, 3, "10.0.3.1", 100}, {1, 3, "10.0.3.2", 100},
		{2, 4, "10.1.4.1", 100}, {2, 4, "10.1.4.2", 100},
		{2, 5, "10.1.5.1", 100}, {2, 5, "10.1.5.2", 100},
	}
	_, rg := builtRing(t, 8, 2, specs)
	for part := range uint32(rg.PartitionCount()) {
		prim := rg.PartNodes(part)
		var got []Device
		for d := range rg.Handoffs(part) {
			got = append(got, d)
		}
		if len(got)+len(prim) != len(specs) {
			t.Fatalf("part %d: %d handoffs + %d primaries, want %d devices", part, len(got), len(prim), len(specs))
		}
		seen := map[int]bool{}
		zones := map[int]bool{}
		regions := map[int]bool{}
		for _, d := range prim {
			seen[d.ID], zones[d.Zone], regions[d.Region] = true, true, true
		}
		for i, d := range got {
			if seen[d.ID] {
				t.Fatalf("part %d: handoff %d repeats device %d", part, i, d.ID)
			}
			seen[d.ID] = true
			// Until every zone is used, each handoff opens a new zone;
			// until every region is used, a new region.
			if len(zones) < 5 && zones[d.Zone] {
				t.Fatalf("part %d: handoff %d reuses zone %d while zones remain", part, i, d.Zone)
			}
			if len(regions) < 2 && regions[d.Region] {
				t.Fatalf("part %d: handoff %d reuses region %d", part, i, d.Region)
			}
			zones[d.Zone], regions[d.Region] = true, true
		}
		// Deterministic, and early stop works.
		var again []Device
		for d := range rg.Handoffs(part) {
			again = append(again, d)
			if len(again) == 2 {
				break
			}
		}
		if !slices.Equal(again, got[:2]) {
			t.Fatalf("part %d: handoffs not deterministic", part)
		}
	}
	for range rg.Handoffs(1 << 20) {
		t.Fatal("out-of-range partition has handoffs")
	}
}

func TestRingFileRoundTrip(t *testing.T) {
	b, rg := builtRing(t, 10, 3, layout6)
	dir := t.TempDir()
	path := filepath.Join(dir, "object.ring.gz")
	if err := rg.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadRing(path)
	if err != nil {
		t.Fatal(err)
	}
	loaded.SetHashPath("", "changeme")
	if loaded.Version() != b.Version() || loaded.PartPower() != 10 || loaded.ReplicaCount() != 3 {
		t.Errorf("loaded version %d power %d replicas %d", loaded.Version(), loaded.PartPower(), loaded.ReplicaCount())
	}
	if !slices.Equal(loaded.Devices(), rg.Devices()) {
		t.Error("devices differ after round trip")
	}
	for r := range rg.r2p2d {
		if !slices.Equal(loaded.r2p2d[r], rg.r2p2d[r]) {
			t.Fatalf("replica %d table differs", r)
		}
	}
	// Deterministic bytes.
	var a, c bytes.Buffer
	if err := rg.Write(&a); err != nil {
		t.Fatal(err)
	}
	if err := loaded.Write(&c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("ring file bytes not deterministic")
	}
	if _, err := LoadRing(filepath.Join(dir, "missing")); err == nil {
		t.Error("loading a missing file succeeded")
	}
}

// gz compresses raw bytes.
func gz(raw []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	return buf.Bytes()
}

func TestRingFileCorrupt(t *testing.T) {
	_, rg := builtRing(t, 4, 2, layout3)
	var good bytes.Buffer
	if err := rg.Write(&good); err != nil {
		t.Fatal(err)
	}
	zr, _ := gzip.NewReader(bytes.NewReader(good.Bytes()))
	var raw bytes.Buffer
	raw.ReadFrom(zr)
	plain := raw.Bytes()
	hdrLen := int(binary.BigEndian.Uint32(plain[len(ringMagic):]))
	tableAt := len(ringMagic) + 4 + hdrLen

	edit := func(f func([]byte) []byte) []byte { return gz(f(slices.Clone(plain))) }
	flipped := slices.Clone(good.Bytes())
	flipped[len(flipped)/2] ^= 0xff
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"empty", nil, "not gzip"},
		{"not gzip", []byte("hello world"), "not gzip"},
		{"flipped byte", flipped, ""},
		{"truncated gzip", good.Bytes()[:good.Len()-10], ""},
		{"bad magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		{"huge header length", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[len(ringMagic):], 1<<31)
			return b
		}), "too large"},
		{"truncated table", edit(func(b []byte) []byte { return b[:len(b)-3] }), "truncated"},
		{"trailing data", edit(func(b []byte) []byte { return append(b, 0) }), "trailing"},
		{"unknown device", edit(func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[tableAt:], 999)
			return b
		}), "unknown device 999"},
		{"bad header json", edit(func(b []byte) []byte { b[len(ringMagic)+4] = '!'; return b }), "ring header"},
		{"header says more parts", edit(func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"part_power":4`), []byte(`"part_power":9`), 1)
		}), "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRing(bytes.NewReader(tt.data))
			if err == nil {
				t.Fatal("corrupt ring loaded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestBuilderFileRoundTrip(t *testing.T) {
	b, clock := newTestBuilder(t, 8, 3, 12, layout12)
	if _, _, err := b.Rebalance(1); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveDevice(2); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "object.builder")
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadBuilder(path)
	if err != nil {
		t.Fatal(err)
	}
	loaded.now = b.now
	if !slices.Equal(loaded.Devices(), b.Devices()) || !loaded.removing[2] ||
		loaded.Version() != b.Version() || loaded.MinPartHours() != 12 || loaded.movesEpoch != b.movesEpoch ||
		!bytes.Equal(loaded.lastMoves, b.lastMoves) {
		t.Fatal("builder state differs after round trip")
	}
	// The same state and seed give the same ring from either copy.
	*clock = clock.Add(13 * 3600e9)
	for _, x := range []*Builder{b, loaded} {
		if _, _, err := x.Rebalance(9); err != nil {
			t.Fatal(err)
		}
	}
	var w1, w2 bytes.Buffer
	r1, _ := b.Ring()
	r2, _ := loaded.Ring()
	r1.Write(&w1)
	r2.Write(&w2)
	if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
		t.Error("rebalanced copies differ")
	}
	// A builder that was never rebalanced round-trips too.
	fresh, _ := newTestBuilder(t, 5, 2, 1, layout3)
	var buf bytes.Buffer
	if _, err := fresh.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadBuilder(&buf); err != nil || len(got.Devices()) != 3 || got.r2p2d != nil {
		t.Fatalf("fresh builder round trip: %v", err)
	}
}

func TestBuilderFileCorrupt(t *testing.T) {
	b, _ := newTestBuilder(t, 4, 2, 1, layout3)
	if _, _, err := b.Rebalance(1); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	b.WriteTo(&buf)
	good := buf.String()
	tests := []struct {
		name, from, to string
	}{
		{"not json", "{", "["},
		{"wrong format", `"gostack-ring-builder"`, `"other"`},
		{"bad part power", `"part_power": 4`, `"part_power": 40`},
		{"replicas mismatch", `"replicas": 2`, `"replicas": 3`},
		{"bad weight", `"weight": 100`, `"weight": -100`},
		{"id mismatch", `"id": 1`, `"id": 7`},
		{"unknown field", `"version"`, `"versio"`},
		{"bad base64", `"last_part_moves": "`, `"last_part_moves": "!`},
		{"removing unknown", `"removing": []`, `"removing": [9]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := strings.Replace(good, tt.from, tt.to, 1)
			if bad == good {
				t.Fatalf("edit %q not applied", tt.from)
			}
			if _, err := ReadBuilder(strings.NewReader(bad)); err == nil {
				t.Fatal("corrupt builder loaded")
			}
		})
	}
	dup := strings.Replace(strings.Replace(good, `"ip": "10.0.2.1"`, `"ip": "10.0.1.1"`, 1), `"device": "sdb0"`, `"device": "sda0"`, 1)
	if _, err := ReadBuilder(strings.NewReader(dup)); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("duplicate devices: %v", err)
	}
	// A table referring to a missing device.
	b.r2p2d[0][0] = 9
	buf.Reset()
	b.WriteTo(&buf)
	if _, err := ReadBuilder(&buf); err == nil || !strings.Contains(err.Error(), "device id 9") {
		t.Errorf("table with unknown device: %v", err)
	}
	if _, err := LoadBuilder(filepath.Join(t.TempDir(), "nope")); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing builder: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func TestRingConcurrentLookups(t *testing.T) {
	_, rg := builtRing(t, 8, 3, layout6)
	done := make(chan bool)
	for g := range 4 {
		go func() {
			defer func() { done <- true }()
			for i := range 200 {
				part, nodes, err := rg.GetNodes("AUTH_a", "c", string(rune('a'+g))+strings.Repeat("x", i))
				if err != nil || len(nodes) != 3 {
					t.Errorf("GetNodes: %v %d", err, len(nodes))
					return
				}
				for range rg.Handoffs(part) {
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}
