package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// DecodeJSON reads the request body strictly into v. Malformed JSON → 400 "Malformed request
// body: <reason>", a wrong type → 400 naming the JSON field path and expected type
// (e.g. `Invalid input for field 'user.enabled': expected boolean, got string`), an empty body
// → 400, a body over the limit set by Middleware → 413, data after the JSON document → 400.
// Unknown fields are allowed (OpenStack ignores many). An *Error returned by a custom
// UnmarshalJSON method reaches the client unchanged.
func DecodeJSON(r *http.Request, v any) error {
	if r.Body == nil || r.Body == http.NoBody {
		return emptyBody()
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return tooLargeError(tooLarge.Limit)
		}
		return BadRequest("Could not read the request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return emptyBody()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return BadRequest("Malformed request body: unexpected data after the JSON document")
	}
	return nil
}

func emptyBody() *Error {
	return BadRequest("Malformed request body: the body is empty; a JSON document is required")
}

// decodeError turns an encoding/json error into the 400 that says what is wrong.
func decodeError(err error) error {
	var (
		apiErr    *Error
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		invalid   *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &apiErr):
		return apiErr
	case errors.As(err, &invalid):
		return fmt.Errorf("decoding JSON request body: %w", err) // a programming error: 500
	case errors.As(err, &syntaxErr):
		return BadRequest("Malformed request body: %s (at byte %d)", syntaxErr.Error(), syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("Malformed request body: unexpected end of JSON input")
	case errors.As(err, &typeErr):
		return typeError(typeErr)
	default:
		return BadRequest("Malformed request body: %v", err)
	}
}

// typeError describes a JSON value of the wrong type.
func typeError(e *json.UnmarshalTypeError) *Error {
	got := e.Value
	if got == "bool" {
		got = "boolean"
	}
	want := jsonTypeName(e.Type)
	if e.Field == "" {
		return BadRequest("Invalid input for the request body: expected %s, got %s", want, got)
	}
	return BadRequest("Invalid input for field '%s': expected %s, got %s", e.Field, want, got)
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// jsonTypeName names the JSON type that decodes into Go type t.
func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string"
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	default:
		return strings.ToLower(t.Kind().String())
	}
}
