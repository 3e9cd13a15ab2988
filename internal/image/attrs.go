package image

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// readOnly are the attributes only the service sets.
var readOnly = []string{"checksum", "created_at", "direct_url", "file", "os_hash_algo", "os_hash_value",
	"schema", "self", "size", "status", "stores", "updated_at", "virtual_size"}

// reserved are names no image property may have.
var reserved = []string{"deleted", "deleted_at", "location"}

// schemaError is Glance's 400 for a value the image schema does not allow.
func schemaError(format string, args ...any) error {
	return httpapi.BadRequest("Provided object does not match schema 'image': %s", fmt.Sprintf(format, args...))
}

// checkWritable refuses read-only and reserved attribute names (403, as Glance).
func checkWritable(name string, create bool) error {
	switch {
	case slices.Contains(readOnly, name) || (name == "id" && !create):
		return httpapi.Forbidden("Attribute '%s' is read-only.", name)
	case slices.Contains(reserved, name) || strings.HasPrefix(name, "os_glance"):
		return httpapi.Forbidden("Attribute '%s' is reserved.", name)
	case name == "locations":
		return httpapi.Forbidden("It's not allowed to add or replace locations through the images API.")
	}
	return nil
}

// setAttr validates one attribute and sets it on the image: a core field, the tags, or a
// custom property (whose value must be a string).
func (s *Service) setAttr(img *Image, name string, value any, create bool) error {
	if err := checkWritable(name, create); err != nil {
		return err
	}
	if !textOK(name) || !valueTextOK(value) {
		return schemaError("%s: text may not hold NUL characters", strconv.Quote(name))
	}
	switch name {
	case "id":
		id, ok := value.(string)
		if _, err := uuid.Parse(id); !ok || err != nil || len(id) != 36 {
			return schemaError("%s is not a valid image id (a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6)", jsonText(value))
		}
		img.ID = strings.ToLower(id)
	case "name":
		return setNullableString(&img.Name, name, value, 255)
	case "owner":
		var owner *string
		if err := setNullableString(&owner, name, value, 255); err != nil {
			return err
		}
		img.Owner = ""
		if owner != nil {
			img.Owner = *owner
		}
	case "visibility":
		v, ok := value.(string)
		if !ok || !slices.Contains(visibilities, v) {
			return schemaError("%s is not one of %s", jsonText(value), quoteList(visibilities))
		}
		img.Visibility = v
	case "protected", "os_hidden":
		b, ok := value.(bool)
		if !ok {
			return schemaError("%s is not of type 'boolean' (%s)", jsonText(value), name)
		}
		if name == "protected" {
			img.Protected = b
		} else {
			img.Hidden = b
		}
	case "min_ram", "min_disk":
		n, err := nonNegativeInt(name, value)
		if err != nil {
			return err
		}
		if name == "min_ram" {
			img.MinRAM = n
		} else {
			img.MinDisk = n
		}
	case "disk_format", "container_format":
		return s.setFormat(img, name, value, create)
	case "tags":
		return s.setTags(img, value)
	default:
		return s.setProperty(img, name, value)
	}
	return nil
}

// setFormat sets disk_format or container_format, which only a queued image may change.
func (s *Service) setFormat(img *Image, name string, value any, create bool) error {
	allowed := s.opts.DiskFormats
	field := &img.DiskFormat
	if name == "container_format" {
		allowed, field = s.opts.ContainerFormats, &img.ContainerFormat
	}
	v, isString := value.(string)
	if value != nil && (!isString || !slices.Contains(allowed, v)) {
		return schemaError("%s is not one of %s (%s)", jsonText(value), quoteList(allowed), name)
	}
	if !create && img.Status != StatusQueued && v != *field {
		return httpapi.Forbidden("Attribute %s can be only replaced for a queued image.", name)
	}
	*field = v
	return nil
}

// setTags replaces the tags with a list of unique strings.
func (s *Service) setTags(img *Image, value any) error {
	items, ok := value.([]any)
	if !ok {
		return schemaError("%s is not of type 'array' (tags)", jsonText(value))
	}
	tags := make([]string, 0, len(items))
	for _, it := range items {
		t, ok := it.(string)
		if !ok || t == "" || len(t) > 255 {
			return schemaError("%s is not a valid tag: a tag is a string of 1 to 255 characters", jsonText(it))
		}
		if slices.Contains(tags, t) {
			return schemaError("tags has non-unique elements (%q)", t)
		}
		tags = append(tags, t)
	}
	if s.opts.TagQuota >= 0 && len(tags) > s.opts.TagQuota {
		return &quotaError{what: "image tags", limit: int64(s.opts.TagQuota), attempted: int64(len(tags))}
	}
	slices.Sort(tags)
	img.Tags = tags
	return nil
}

// setProperty sets a custom property: a name of 1 to 255 characters and a string value.
func (s *Service) setProperty(img *Image, name string, value any) error {
	if name == "" || len(name) > 255 {
		return schemaError("property names must have 1 to 255 characters")
	}
	v, ok := value.(string)
	if !ok {
		return schemaError("%s is not of type 'string' (%s)", jsonText(value), name)
	}
	if len(v) > 65535 {
		return schemaError("the value of %s is longer than 65535 characters", name)
	}
	if _, exists := img.Properties[name]; !exists && s.opts.PropertyQuota >= 0 && len(img.Properties) >= s.opts.PropertyQuota {
		return &quotaError{what: "image properties", limit: int64(s.opts.PropertyQuota), attempted: int64(len(img.Properties) + 1)}
	}
	img.Properties[name] = v
	return nil
}

// removeAttr removes a custom property or clears a nullable core field.
func removeAttr(img *Image, name string) error {
	if err := checkWritable(name, false); err != nil {
		return err
	}
	if isCore(name) {
		return httpapi.Forbidden("Property %s may not be removed.", name)
	}
	if _, ok := img.Properties[name]; !ok {
		return &ConflictError{Message: fmt.Sprintf("Property %s does not exist.", name)}
	}
	delete(img.Properties, name)
	return nil
}

// coreAttrs are the attributes that are columns, not custom properties.
var coreAttrs = []string{"id", "name", "owner", "visibility", "protected", "os_hidden", "min_ram", "min_disk",
	"disk_format", "container_format", "tags"}

func isCore(name string) bool {
	return slices.Contains(coreAttrs, name) || slices.Contains(readOnly, name)
}

func setNullableString(field **string, name string, value any, max int) error {
	if value == nil {
		*field = nil
		return nil
	}
	v, ok := value.(string)
	if !ok {
		return schemaError("%s is not of type 'string' (%s)", jsonText(value), name)
	}
	if len(v) > max {
		return schemaError("%s is longer than %d characters", name, max)
	}
	*field = &v
	return nil
}

func nonNegativeInt(name string, value any) (int, error) {
	f, ok := value.(float64)
	if !ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
		return 0, schemaError("%s is not a non-negative integer (%s)", jsonText(value), name)
	}
	return int(f), nil
}

// textOK reports whether every database stores s as text: valid UTF-8 without NUL characters
// (PostgreSQL refuses both, and its error would be a 500).
func textOK(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// valueTextOK applies textOK to a decoded JSON string or to the strings of a list.
func valueTextOK(value any) bool {
	switch v := value.(type) {
	case string:
		return textOK(v)
	case []any:
		for _, it := range v {
			if s, ok := it.(string); ok && !textOK(s) {
				return false
			}
		}
	}
	return true
}

// checkRequestText refuses a request whose decoded path or query parameters are not text
// every database can compare (see textOK).
func checkRequestText(r *http.Request) error {
	if !textOK(r.URL.Path) {
		return httpapi.BadRequest("The request path must be UTF-8 text without NUL characters.")
	}
	for k, vs := range r.URL.Query() {
		if !textOK(k) || slices.ContainsFunc(vs, func(v string) bool { return !textOK(v) }) {
			return httpapi.BadRequest("Query parameters must be UTF-8 text without NUL characters.")
		}
	}
	return nil
}

// jsonText renders a decoded JSON value for an error message.
func jsonText(v any) string {
	switch t := v.(type) {
	case nil:
		return "None"
	case string:
		return "'" + t + "'"
	default:
		return fmt.Sprint(t)
	}
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = "'" + it + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}
