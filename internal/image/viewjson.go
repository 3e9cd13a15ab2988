package image

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// imageDoc is an image as the API renders it. Its MarshalJSON writes the JSON directly, with
// the keys and values of Service.view, because listing a thousand images is the service's
// hottest path and encoding maps by reflection was most of its cost.
type imageDoc struct {
	img  Image
	opts *Options
}

// MarshalJSON implements json.Marshaler.
func (d imageDoc) MarshalJSON() ([]byte, error) {
	return d.appendJSON(make([]byte, 0, 1024)), nil
}

func (d imageDoc) appendJSON(b []byte) []byte {
	img := d.img
	w := jsonObject{b: append(b, '{')}
	w.str("id", img.ID)
	if img.Name == nil {
		w.null("name")
	} else {
		w.str("name", *img.Name)
	}
	w.str("status", img.Status)
	w.str("visibility", img.Visibility)
	w.boolean("protected", img.Protected)
	w.boolean("os_hidden", img.Hidden)
	w.strOrNull("owner", img.Owner)
	w.intOrNull("size", img.Size)
	w.intOrNull("virtual_size", img.VirtualSize)
	w.strOrNull("checksum", img.Checksum)
	w.strOrNull("os_hash_algo", img.HashAlgo)
	w.strOrNull("os_hash_value", img.HashValue)
	w.strOrNull("disk_format", img.DiskFormat)
	w.strOrNull("container_format", img.ContainerFormat)
	w.integer("min_disk", int64(img.MinDisk))
	w.integer("min_ram", int64(img.MinRAM))
	w.str("created_at", glanceTime(img.CreatedAt))
	w.str("updated_at", glanceTime(img.UpdatedAt))
	w.key("tags")
	w.b = append(w.b, '[')
	for i, t := range img.Tags {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, t)
	}
	w.b = append(w.b, ']')
	w.str("self", "/v2/images/"+img.ID)
	w.str("file", "/v2/images/"+img.ID+"/file")
	w.str("schema", "/v2/schemas/image")
	d.appendLocations(&w)
	for _, k := range slices.Sorted(maps.Keys(img.Properties)) {
		if !isCore(k) && k != "self" && k != "file" && k != "schema" && k != "locations" {
			w.str(k, img.Properties[k])
		}
	}
	return append(w.b, '}')
}

// appendLocations writes stores, direct_url and locations as the options say.
func (d imageDoc) appendLocations(w *jsonObject) {
	locs := d.img.Locations
	var names []string
	for _, l := range locs {
		if n, ok := l.Metadata["store"].(string); ok && n != "" {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		w.str("stores", strings.Join(names, ","))
	}
	if d.opts.ShowDirectURL && len(locs) > 0 {
		w.str("direct_url", locs[0].URL)
	}
	if d.opts.ShowMultipleLocations {
		w.key("locations")
		w.b = append(w.b, '[')
		for i, l := range locs {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = appendLocation(w.b, l.URL, l.Metadata)
		}
		w.b = append(w.b, ']')
	}
}

// jsonObject writes the members of a JSON object.
type jsonObject struct {
	b     []byte
	count int
}

func (w *jsonObject) key(k string) {
	if w.count > 0 {
		w.b = append(w.b, ',')
	}
	w.count++
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

func (w *jsonObject) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

func (w *jsonObject) strOrNull(k, v string) {
	if v == "" {
		w.null(k)
		return
	}
	w.str(k, v)
}

func (w *jsonObject) null(k string) {
	w.key(k)
	w.b = append(w.b, "null"...)
}

func (w *jsonObject) boolean(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

func (w *jsonObject) integer(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jsonObject) intOrNull(k string, v *int64) {
	if v == nil {
		w.null(k)
		return
	}
	w.integer(k, *v)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendLocation writes one {"url", "metadata"} location.
func appendLocation(b []byte, url string, meta map[string]any) []byte {
	if meta == nil {
		meta = map[string]any{}
	}
	m, err := json.Marshal(meta)
	if err != nil {
		m = []byte("{}")
	}
	b = append(b, `{"url":`...)
	b = appendJSONString(b, url)
	b = append(b, `,"metadata":`...)
	b = append(b, m...)
	return append(b, '}')
}
