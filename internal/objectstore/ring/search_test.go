package ring

import (
	"testing"
)

func TestSearchDevices(t *testing.T) {
	b, _ := newTestBuilder(t, 4, 3, 1, nil)
	devs := []Device{
		{Region: 1, Zone: 1, IP: "10.0.0.1", Port: 6200, Name: "sdb1", Weight: 1, Meta: "rack a"},
		{Region: 1, Zone: 2, IP: "10.0.0.2", Port: 6200, Name: "sdb1", Weight: 1, ReplicationIP: "192.168.0.2", ReplicationPort: 6300},
		{Region: 2, Zone: 1, IP: "10.0.0.3", Port: 6201, Name: "sdc1", Weight: 1, Meta: "rack b"},
		{Region: 2, Zone: 2, IP: "fd00::1", Port: 6200, Name: "sdd", Weight: 1},
	}
	for _, d := range devs {
		if _, err := b.AddDevice(d); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		search string
		want   []int
	}{
		{"d2", []int{2}},
		{"r1", []int{0, 1}},
		{"r1z2", []int{1}},
		{"z1", []int{0, 2}},
		{"-10.0.0.3", []int{2}},
		{"10.0.0.1", []int{0}},
		{"10.0.0.1:6200/sdb1", []int{0}},
		{"r1z1-10.0.0.1:6200/sdb1", []int{0}},
		{":6201", []int{2}},
		{"/sdb1", []int{0, 1}},
		{"R192.168.0.2:6300", []int{1}},
		{"_rack", []int{0, 2}},
		{"/sdc1_rack b", []int{2}},
		{"-[fd00::1]:6200/sdd", []int{3}},
		{"[fd00:0::1]", []int{3}},
		{"d9", nil},
		{"d0r2", nil},
	}
	for _, tt := range tests {
		got, err := b.SearchDevices(tt.search)
		if err != nil {
			t.Errorf("SearchDevices(%q): %v", tt.search, err)
			continue
		}
		var ids []int
		for _, d := range got {
			ids = append(ids, d.ID)
		}
		if len(ids) != len(tt.want) {
			t.Errorf("SearchDevices(%q) = %v, want %v", tt.search, ids, tt.want)
			continue
		}
		for i := range ids {
			if ids[i] != tt.want[i] {
				t.Errorf("SearchDevices(%q) = %v, want %v", tt.search, ids, tt.want)
				break
			}
		}
	}
	for _, bad := range []string{"", "d", "dx", "r1zq", "-[fd00::1", "10.0.0.1:", "z1&"} {
		if _, err := ParseSearch(bad); err == nil {
			t.Errorf("ParseSearch(%q) succeeded", bad)
		}
	}
}

func TestDeviceString(t *testing.T) {
	d := Device{ID: 3, Region: 1, Zone: 2, IP: "fd00::1", Port: 6200, Name: "sdb1"}
	if got, want := d.String(), "d3r1z2-[fd00::1]:6200/sdb1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	q, err := ParseSearch(d.String())
	if err != nil || !q.Match(d) {
		t.Errorf("String() does not search back to the device: %v", err)
	}
}
