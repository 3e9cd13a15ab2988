package httpapi

import (
	"encoding/json"
	"math"
	"strconv"
)

// PyFloat is a float that JSON-encodes the way OpenStack's Python services write floats: a
// whole number keeps its ".0" (4.0, not 4), so clients print what they print against
// OpenStack.
type PyFloat float64

// MarshalJSON writes f as Python's repr would.
func (f PyFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(v, 'g', -1, 64)}
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e16 {
		return strconv.AppendFloat(nil, v, 'f', 1, 64), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}
