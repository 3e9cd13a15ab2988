package ring

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

func TestHashPathAndPartition(t *testing.T) {
	// Expected values computed independently with Python's hashlib:
	// md5(prefix + "/" + "/".join(parts) + suffix), top bits of the
	// first four bytes, big-endian.
	tests := []struct {
		prefix, suffix, account, container, object string
		partPower                                  int
		wantHex                                    string
		wantPart                                   uint32
	}{
		{"", "changeme", "AUTH_test", "", "", 10, "9d00c9d091fea9ea855f29c22714dc83", 628},
		{"", "changeme", "AUTH_test", "photos", "", 10, "77493df0ec34730d46559eb3766112bf", 477},
		{"", "changeme", "AUTH_test", "photos", "cat.jpg", 18, "8b4260ec308084d1df5dcd9b53f979d7", 142601},
		{"pre", "suf", "a", "c", "o/with/slashes", 16, "09209bcf0c590c95e308f4481784ab21", 2336},
		{"", "s", "AUTH_x", "c", "été", 32, "3ba699a1185295bc417a0673e4dee7ef", 1000774049},
		{"p", "", "AUTH_x", "", "", 1, "5ba1a10432b0011aeaaedf73dc78c455", 0},
	}
	for _, tt := range tests {
		sum := HashPath(tt.prefix, tt.suffix, tt.account, tt.container, tt.object)
		if got := hex.EncodeToString(sum[:]); got != tt.wantHex {
			t.Errorf("HashPath(%q,%q,%q,%q,%q) = %s, want %s", tt.prefix, tt.suffix, tt.account, tt.container, tt.object, got, tt.wantHex)
		}
		rg := &Ring{partPower: tt.partPower}
		rg.SetHashPath(tt.prefix, tt.suffix)
		if got := rg.Partition(tt.account, tt.container, tt.object); got != tt.wantPart {
			t.Errorf("Partition(%q,%q,%q) at power %d = %d, want %d", tt.account, tt.container, tt.object, tt.partPower, got, tt.wantPart)
		}
		// Cross-check against a direct computation.
		direct := md5.Sum([]byte(tt.prefix + "/" + joinPath(tt.account, tt.container, tt.object) + tt.suffix))
		if want := binary.BigEndian.Uint32(direct[:]) >> (32 - tt.partPower); want != tt.wantPart {
			t.Errorf("direct computation %d disagrees with table %d", want, tt.wantPart)
		}
	}
}

func joinPath(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += "/"
		}
		out += p
	}
	return out
}

func TestValidatePath(t *testing.T) {
	tests := []struct {
		a, c, o string
		ok      bool
	}{
		{"AUTH_a", "", "", true},
		{"AUTH_a", "c", "", true},
		{"AUTH_a", "c", "o", true},
		{"", "c", "o", false},
		{"AUTH_a", "", "o", false},
	}
	for _, tt := range tests {
		if err := ValidatePath(tt.a, tt.c, tt.o); (err == nil) != tt.ok {
			t.Errorf("ValidatePath(%q,%q,%q) = %v, want ok=%v", tt.a, tt.c, tt.o, err, tt.ok)
		}
	}
}
