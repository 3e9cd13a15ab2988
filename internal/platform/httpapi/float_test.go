package httpapi

import (
	"encoding/json"
	"math"
	"testing"
)

func TestPyFloat(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{{4, "4.0"}, {0, "0.0"}, {1.5, "1.5"}, {-2, "-2.0"}, {0.1, "0.1"}, {3.40282e+38, "3.40282e+38"}, {1e16, "1e+16"}} {
		got, err := json.Marshal(PyFloat(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("PyFloat(%v) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	if _, err := json.Marshal(PyFloat(math.Inf(1))); err == nil {
		t.Error("+Inf encoded")
	}
}
