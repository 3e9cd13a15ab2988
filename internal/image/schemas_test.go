package image

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/gostack/gostack/internal/platform/openapitest"
)

// schemaTestFormats is a deployment with Glance's default format lists.
var schemaTestFormats = schemaOptions{
	DiskFormats:      []string{"ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"},
	ContainerFormats: []string{"ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"},
}

// schemaDocs names every schema document with its URL.
func schemaDocs(o schemaOptions) map[string]map[string]any {
	return map[string]map[string]any{
		"/v2/schemas/image":   imageSchema(o),
		"/v2/schemas/images":  imagesSchema(o),
		"/v2/schemas/member":  memberSchema(),
		"/v2/schemas/members": membersSchema(),
		"/v2/schemas/task":    taskSchema(),
		"/v2/schemas/tasks":   tasksSchema(),
	}
}

// schemaRoundTrip encodes v as JSON, as the API would send it, and decodes it again into the
// data model jsonschema works on.
func schemaRoundTrip(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return doc
}

// schemaCompile compiles a schema document under the given draft.
func schemaCompile(t *testing.T, doc map[string]any, draft *jsonschema.Draft) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(draft)
	if err := c.AddResource("mem:///schema.json", schemaRoundTrip(t, doc)); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	sch, err := c.Compile("mem:///schema.json")
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return sch
}

func TestSchemasCompile(t *testing.T) {
	drafts := map[string]*jsonschema.Draft{"draft4": jsonschema.Draft4, "draft2020": jsonschema.Draft2020}
	for url, doc := range schemaDocs(schemaTestFormats) {
		for name, draft := range drafts {
			t.Run(url+"/"+name, func(t *testing.T) {
				schemaCompile(t, doc, draft)
			})
		}
	}
}

func TestSchemasNames(t *testing.T) {
	for url, doc := range schemaDocs(schemaTestFormats) {
		want := url[strings.LastIndex(url, "/")+1:]
		if doc["name"] != want {
			t.Errorf("%s: name = %v, want %q", url, doc["name"], want)
		}
	}
}

// schemaQueuedImage is an image just created with a custom property: no data yet, so the
// hashes, sizes and formats are null.
func schemaQueuedImage() map[string]any {
	id := "7b2c4a1e-3f5d-4c6b-9a8e-0d1f2e3c4b5a"
	return map[string]any{
		"id":               id,
		"name":             "cirros",
		"status":           "queued",
		"visibility":       "shared",
		"protected":        false,
		"os_hidden":        false,
		"checksum":         nil,
		"os_hash_algo":     nil,
		"os_hash_value":    nil,
		"owner":            "0e3f6a1c9b8d4e2fa7c5b3d1e9f0a2b4",
		"size":             nil,
		"virtual_size":     nil,
		"container_format": nil,
		"disk_format":      nil,
		"created_at":       "2024-05-01T10:00:00Z",
		"updated_at":       "2024-05-01T10:00:00Z",
		"tags":             []any{},
		"min_ram":          0,
		"min_disk":         0,
		"self":             "/v2/images/" + id,
		"file":             "/v2/images/" + id + "/file",
		"schema":           "/v2/schemas/image",
		"hw_disk_bus":      "virtio",
	}
}

// schemaActiveImage is an image with data, locations and every optional core field.
func schemaActiveImage() map[string]any {
	img := schemaQueuedImage()
	img["status"] = "active"
	img["visibility"] = "public"
	img["checksum"] = "443b7623e27ecf03dc9e01ee93f67afe"
	img["os_hash_algo"] = "sha512"
	img["os_hash_value"] = strings.Repeat("ab", 64)
	img["size"] = 12716032
	img["virtual_size"] = 117440512
	img["container_format"] = "bare"
	img["disk_format"] = "qcow2"
	img["tags"] = []any{"ci", "small"}
	img["direct_url"] = "file:///var/lib/gostack/images/" + img["id"].(string)
	img["stores"] = "fast,cheap"
	img["locations"] = []any{map[string]any{"url": img["direct_url"], "metadata": map[string]any{"store": "fast"}}}
	return img
}

func TestImageSchemaValidatesImages(t *testing.T) {
	sch := schemaCompile(t, imageSchema(schemaTestFormats), jsonschema.Draft4)
	tests := []struct {
		name  string
		image func() map[string]any
		valid bool
	}{
		{"queued", schemaQueuedImage, true},
		{"active", schemaActiveImage, true},
		{"null name and owner", func() map[string]any {
			img := schemaQueuedImage()
			img["name"], img["owner"] = nil, nil
			return img
		}, true},
		{"unknown visibility", func() map[string]any {
			img := schemaQueuedImage()
			img["visibility"] = "everyone"
			return img
		}, false},
		{"unknown status", func() map[string]any {
			img := schemaQueuedImage()
			img["status"] = "broken"
			return img
		}, false},
		{"disk format not configured", func() map[string]any {
			img := schemaActiveImage()
			img["disk_format"] = "qed"
			return img
		}, false},
		{"custom property not a string", func() map[string]any {
			img := schemaQueuedImage()
			img["hw_disk_bus"] = 5
			return img
		}, false},
		{"malformed id", func() map[string]any {
			img := schemaQueuedImage()
			img["id"] = "not-a-uuid"
			return img
		}, false},
		{"location without metadata", func() map[string]any {
			img := schemaActiveImage()
			img["locations"] = []any{map[string]any{"url": "file:///x"}}
			return img
		}, false},
		{"name too long", func() map[string]any {
			img := schemaQueuedImage()
			img["name"] = strings.Repeat("n", 256)
			return img
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sch.Validate(schemaRoundTrip(t, tt.image()))
			if tt.valid && err != nil {
				t.Errorf("want valid, got %v", err)
			}
			if !tt.valid && err == nil {
				t.Error("want a validation error, got none")
			}
		})
	}
}

func TestImagesSchemaValidatesPage(t *testing.T) {
	sch := schemaCompile(t, imagesSchema(schemaTestFormats), jsonschema.Draft4)
	page := map[string]any{
		"images": []any{schemaQueuedImage(), schemaActiveImage()},
		"first":  "/v2/images?limit=2",
		"next":   "/v2/images?limit=2&marker=7b2c4a1e-3f5d-4c6b-9a8e-0d1f2e3c4b5a",
		"schema": "/v2/schemas/images",
	}
	if err := sch.Validate(schemaRoundTrip(t, page)); err != nil {
		t.Errorf("page: %v", err)
	}
	bad := schemaActiveImage()
	bad["visibility"] = "everyone"
	page["images"] = []any{bad}
	if sch.Validate(schemaRoundTrip(t, page)) == nil {
		t.Error("page with a bad image: want a validation error, got none")
	}
}

func TestMemberAndTaskSchemasValidate(t *testing.T) {
	member := map[string]any{
		"member_id":  "0e3f6a1c9b8d4e2fa7c5b3d1e9f0a2b4",
		"image_id":   "7b2c4a1e-3f5d-4c6b-9a8e-0d1f2e3c4b5a",
		"status":     "pending",
		"created_at": "2024-05-01T10:00:00Z",
		"updated_at": "2024-05-01T10:00:00Z",
		"schema":     "/v2/schemas/member",
	}
	task := map[string]any{
		"id":         "1d2c3b4a-5f6e-4d8c-9b0a-112233445566",
		"type":       "api_image_import",
		"status":     "processing",
		"input":      map[string]any{"image_id": "7b2c4a1e-3f5d-4c6b-9a8e-0d1f2e3c4b5a"},
		"result":     nil,
		"owner":      "0e3f6a1c9b8d4e2fa7c5b3d1e9f0a2b4",
		"message":    "",
		"expires_at": nil,
		"created_at": "2024-05-01T10:00:00Z",
		"updated_at": "2024-05-01T10:00:00Z",
		"self":       "/v2/tasks/1d2c3b4a-5f6e-4d8c-9b0a-112233445566",
		"schema":     "/v2/schemas/task",
	}
	tests := []struct {
		name   string
		schema map[string]any
		body   any
		valid  bool
	}{
		{"member", memberSchema(), member, true},
		{"members", membersSchema(), map[string]any{"members": []any{member}, "schema": "/v2/schemas/members"}, true},
		{"member bad status", memberSchema(), schemaWithField(member, "status", "maybe"), false},
		{"task", taskSchema(), task, true},
		{"task bad type", taskSchema(), schemaWithField(task, "type", "export"), false},
		{"tasks", tasksSchema(), map[string]any{"tasks": []any{task}, "schema": "/v2/schemas/tasks"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := schemaCompile(t, tt.schema, jsonschema.Draft4).Validate(schemaRoundTrip(t, tt.body))
			if tt.valid && err != nil {
				t.Errorf("want valid, got %v", err)
			}
			if !tt.valid && err == nil {
				t.Error("want a validation error, got none")
			}
		})
	}
}

// schemaWithField is a copy of m with key set to v.
func schemaWithField(m map[string]any, key string, v any) map[string]any {
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = e
	}
	out[key] = v
	return out
}

func TestImageSchemaFormatsFromOptions(t *testing.T) {
	o := schemaOptions{DiskFormats: []string{"raw", "qcow2"}, ContainerFormats: []string{"bare"}}
	props := imageSchema(o)["properties"].(map[string]any)
	for prop, want := range map[string][]any{
		"disk_format":      {nil, "raw", "qcow2"},
		"container_format": {nil, "bare"},
	} {
		got := props[prop].(map[string]any)["enum"]
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s enum = %#v, want %#v", prop, got, want)
		}
	}
	items := imagesSchema(o)["properties"].(map[string]any)["images"].(map[string]any)["items"].(map[string]any)
	got := items["properties"].(map[string]any)["disk_format"].(map[string]any)["enum"]
	if want := []any{nil, "raw", "qcow2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("images item disk_format enum = %#v, want %#v", got, want)
	}

	sch := schemaCompile(t, imageSchema(o), jsonschema.Draft4)
	img := schemaActiveImage()
	img["disk_format"], img["container_format"] = "raw", "bare"
	if err := sch.Validate(schemaRoundTrip(t, img)); err != nil {
		t.Errorf("configured formats: %v", err)
	}
	img["disk_format"] = "vmdk"
	if sch.Validate(schemaRoundTrip(t, img)) == nil {
		t.Error("disk_format vmdk is not configured: want a validation error, got none")
	}
}

func TestSchemasAreFresh(t *testing.T) {
	options := func() schemaOptions {
		return schemaOptions{DiskFormats: []string{"raw"}, ContainerFormats: []string{"bare"}}
	}
	before, err := json.Marshal(schemaDocs(options()))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range schemaDocs(options()) {
		schemaMutate(doc)
	}
	after, err := json.Marshal(schemaDocs(options()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("changing returned schemas changed later ones")
	}

	o := options()
	img := imageSchema(o)
	o.ContainerFormats[0] = "changed later"
	got := img["properties"].(map[string]any)["container_format"].(map[string]any)["enum"]
	if want := []any{nil, "bare"}; !reflect.DeepEqual(got, want) {
		t.Errorf("the enum shares the caller's slice: %#v", got)
	}
}

// schemaMutate changes every map and list reachable from v.
func schemaMutate(v any) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			schemaMutate(e)
		}
		x["mutated"] = true
	case []any:
		for i, e := range x {
			schemaMutate(e)
			if _, ok := e.(string); ok {
				x[i] = "mutated"
			}
		}
	}
}

// schemaOpenAPIComponents reads the component schemas of the Image API's OpenAPI document.
func schemaOpenAPIComponents(t *testing.T) map[string]any {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	path, err := openapitest.Locate(wd, "image", "v2.16.yaml")
	if err != nil {
		t.Skipf("no OpenAPI document: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return doc.Components.Schemas
}

// schemaLookup walks a path of object keys from v.
func schemaLookup(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("%s: missing", strings.Join(keys[:i+1], "."))
		}
	}
	return v
}

// schemaNormalized is v in the JSON data model with descriptions and formats removed: the
// OpenAPI document has its own prose and adds int64 formats Glance does not send.
func schemaNormalized(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return schemaStrip(out)
}

// schemaStrip removes description and format keys at every level.
func schemaStrip(v any) any {
	switch x := v.(type) {
	case map[string]any:
		delete(x, "description")
		delete(x, "format")
		for k, e := range x {
			x[k] = schemaStrip(e)
		}
	case []any:
		for i, e := range x {
			x[i] = schemaStrip(e)
		}
	}
	return v
}

// schemaSpecFormats reads the format enums of the spec's image, without null, as options.
func schemaSpecFormats(t *testing.T, image any) schemaOptions {
	t.Helper()
	var o schemaOptions
	for prop, dst := range map[string]*[]string{"disk_format": &o.DiskFormats, "container_format": &o.ContainerFormats} {
		for _, v := range schemaLookup(t, image, "properties", prop, "enum").([]any) {
			if s, ok := v.(string); ok {
				*dst = append(*dst, s)
			}
		}
	}
	return o
}

// The /v2/schemas/* operations are described in the OpenAPI document only as "a
// string", but the entity responses it describes (image show, member show, task show and
// the lists) are generated from the same Glance schemas, so their property definitions
// must match ours keyword for keyword, descriptions aside.
func TestSchemasMatchOpenAPI(t *testing.T) {
	spec := schemaOpenAPIComponents(t)
	specImage := spec["ImageShowResponse"]
	o := schemaSpecFormats(t, specImage)
	tasksItem := tasksSchema()["properties"].(map[string]any)["tasks"].(map[string]any)["items"]
	tests := []struct {
		name string
		ours any
		spec any
	}{
		{"image", imageSchema(o)["properties"], schemaLookup(t, specImage, "properties")},
		{"image additionalProperties", imageSchema(o)["additionalProperties"], schemaLookup(t, specImage, "additionalProperties")},
		{"image links", imageSchema(o)["links"], schemaLookup(t, specImage, "links")},
		{"images item", schemaLookup(t, imagesSchema(o), "properties", "images", "items", "properties"),
			schemaLookup(t, spec["ImagesListResponse"], "properties", "images", "items", "properties")},
		{"images links", imagesSchema(o)["links"], schemaLookup(t, spec["ImagesListResponse"], "links")},
		{"member", memberSchema()["properties"], schemaLookup(t, spec["ImagesMemberShowResponse"], "properties")},
		{"members item", schemaLookup(t, membersSchema(), "properties", "members", "items", "properties"),
			schemaLookup(t, spec["ImagesMembersListResponse"], "properties", "members", "items", "properties")},
		{"task", taskSchema()["properties"], schemaLookup(t, spec["TaskGetResponse"], "properties")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ours, theirs := schemaNormalized(t, tt.ours), schemaNormalized(t, tt.spec)
			if reflect.DeepEqual(ours, theirs) {
				return
			}
			om, ok1 := ours.(map[string]any)
			tm, ok2 := theirs.(map[string]any)
			if !ok1 || !ok2 {
				t.Fatalf("differs:\n ours %v\n spec %v", ours, theirs)
			}
			for _, k := range schemaUnionKeys(om, tm) {
				if !reflect.DeepEqual(om[k], tm[k]) {
					t.Errorf("%s:\n ours %v\n spec %v", k, om[k], tm[k])
				}
			}
		})
	}

	// The spec's task list item keeps input, result and message; Glance drops them from
	// listed tasks. Everything else must match.
	t.Run("tasks item", func(t *testing.T) {
		ours := schemaNormalized(t, schemaLookup(t, tasksItem, "properties")).(map[string]any)
		theirs := schemaNormalized(t, schemaLookup(t, spec["TasksListResponse"], "properties", "tasks", "items", "properties")).(map[string]any)
		for _, k := range schemaUnionKeys(ours, theirs) {
			if _, ok := ours[k]; !ok && slices.Contains(schemaTaskListOmits, k) {
				continue
			}
			if !reflect.DeepEqual(ours[k], theirs[k]) {
				t.Errorf("%s:\n ours %v\n spec %v", k, ours[k], theirs[k])
			}
		}
	})
}

// schemaUnionKeys lists the keys of both maps, sorted.
func schemaUnionKeys(a, b map[string]any) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
