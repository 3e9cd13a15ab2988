package image

// The documents served under /v2/schemas/. Clients build their models from them:
// python-glanceclient feeds the image schema to warlock, so every image body the API
// returns must validate against it, and the CLI derives its image-create options from the
// property names. The shapes (names, types, enums, readOnly flags, links) follow the Image
// API v2.16; the descriptions are gostack's own. The image documents are the full form
// (additionalProperties and links included); the member and task documents are the short
// form Glance serves for them (name and properties only; the collections carry just the
// describedby link).
//
// Every function builds a new document on each call, so callers may change what they get.

// schemaUUIDPattern is the shape the schemas give image and task IDs.
const schemaUUIDPattern = "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}" +
	"-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"

// schemaImageStatuses are the states an image can be in, in the order the schema lists them.
var schemaImageStatuses = []string{
	"queued", "saving", "active", "killed", "deleted",
	"uploading", "importing", "pending_delete", "deactivated",
}

// schemaVisibilities are the values of an image's visibility.
var schemaVisibilities = []string{"community", "public", "private", "shared"}

// schemaMemberStatuses are the states of an image membership.
var schemaMemberStatuses = []string{"pending", "accepted", "rejected"}

// schemaTaskTypes and schemaTaskStatuses are the kinds and states of a task.
var (
	schemaTaskTypes    = []string{"import", "api_image_import"}
	schemaTaskStatuses = []string{"pending", "processing", "success", "failure"}
)

// schemaTaskListOmits are the task properties the tasks collection leaves out.
var schemaTaskListOmits = []string{"input", "result", "message"}

// schemaOptions are the deployment's choices that appear in the schemas.
type schemaOptions struct {
	DiskFormats      []string // [image_format] disk_formats, e.g. raw, vhd, vhdx, vmdk, vdi, iso, ploop, qcow2, aki, ari, ami
	ContainerFormats []string // [image_format] container_formats, e.g. bare, ovf, aki, ari, ami, ova, docker, compressed
}

// imageSchema is the body of GET /v2/schemas/image. Properties it does not name (custom
// image properties such as hw_disk_bus) must be strings.
func imageSchema(o schemaOptions) map[string]any {
	return map[string]any{
		"name":                 "image",
		"properties":           schemaImageProperties(o),
		"additionalProperties": map[string]any{"type": "string"},
		"links": []any{
			schemaLink("self", "{self}"),
			schemaLink("enclosure", "{file}"),
			schemaLink("describedby", "{schema}"),
		},
	}
}

// imagesSchema is the body of GET /v2/schemas/images: a page of images with its links.
func imagesSchema(o schemaOptions) map[string]any {
	return map[string]any{
		"name": "images",
		"properties": map[string]any{
			"images": map[string]any{"type": "array", "items": imageSchema(o)},
			"first":  map[string]any{"type": "string"},
			"next":   map[string]any{"type": "string"},
			"schema": map[string]any{"type": "string"},
		},
		"links": []any{
			schemaLink("first", "{first}"),
			schemaLink("next", "{next}"),
			schemaLink("describedby", "{schema}"),
		},
	}
}

// memberSchema is the body of GET /v2/schemas/member.
func memberSchema() map[string]any {
	return map[string]any{"name": "member", "properties": schemaMemberProperties()}
}

// membersSchema is the body of GET /v2/schemas/members.
func membersSchema() map[string]any {
	return schemaShortCollection("members", memberSchema())
}

// taskSchema is the body of GET /v2/schemas/task.
func taskSchema() map[string]any {
	return map[string]any{"name": "task", "properties": schemaTaskProperties()}
}

// tasksSchema is the body of GET /v2/schemas/tasks. Listed tasks carry neither their
// input, their result nor their message, so the item schema leaves those out.
func tasksSchema() map[string]any {
	props := schemaTaskProperties()
	for _, name := range schemaTaskListOmits {
		delete(props, name)
	}
	return schemaShortCollection("tasks", map[string]any{"name": "task", "properties": props})
}

// schemaShortCollection wraps an item schema in the short collection form: the list under
// name, the schema URL, and a describedby link.
func schemaShortCollection(name string, item map[string]any) map[string]any {
	return map[string]any{
		"name": name,
		"properties": map[string]any{
			name:     map[string]any{"type": "array", "items": item},
			"schema": map[string]any{"type": "string"},
		},
		"links": []any{schemaLink("describedby", "{schema}")},
	}
}

// schemaLink is one entry of a schema's links: a relation and an href template.
func schemaLink(rel, href string) map[string]any {
	return map[string]any{"rel": rel, "href": href}
}

// schemaImageProperties are the core properties of an image.
func schemaImageProperties(o schemaOptions) map[string]any {
	return map[string]any{
		"id": map[string]any{
			"type":        "string",
			"description": "Unique identifier (UUID) of the image",
			"pattern":     schemaUUIDPattern,
		},
		"name": map[string]any{
			"type":        schemaNullable("string"),
			"description": "Human-readable name of the image",
			"maxLength":   255,
		},
		"status": map[string]any{
			"type":        "string",
			"readOnly":    true,
			"description": "Where the image is in its lifecycle",
			"enum":        schemaEnum(schemaImageStatuses),
		},
		"visibility": map[string]any{
			"type":        "string",
			"description": "Which projects may see and use the image",
			"enum":        schemaEnum(schemaVisibilities),
		},
		"protected": map[string]any{
			"type":        "boolean",
			"description": "When true, the image cannot be deleted",
		},
		"os_hidden": map[string]any{
			"type":        "boolean",
			"description": "When true, the image is left out of the default image list",
		},
		"checksum": map[string]any{
			"type":        schemaNullable("string"),
			"readOnly":    true,
			"description": "MD5 digest of the image data",
			"maxLength":   32,
		},
		"os_hash_algo": map[string]any{
			"type":        schemaNullable("string"),
			"readOnly":    true,
			"description": "Name of the hash algorithm that produced os_hash_value",
			"maxLength":   64,
		},
		"os_hash_value": map[string]any{
			"type":        schemaNullable("string"),
			"readOnly":    true,
			"description": "Hex digest of the image data, computed with os_hash_algo",
			"maxLength":   128,
		},
		"owner": map[string]any{
			"type":        schemaNullable("string"),
			"description": "Project that owns the image",
			"maxLength":   255,
		},
		"size": map[string]any{
			"type":        schemaNullable("integer"),
			"readOnly":    true,
			"description": "Size of the stored image data, in bytes",
		},
		"virtual_size": map[string]any{
			"type":        schemaNullable("integer"),
			"readOnly":    true,
			"description": "Size of the disk the image data describes, in bytes",
		},
		"container_format": map[string]any{
			"type":        schemaNullable("string"),
			"description": "Container the image data is wrapped in",
			"enum":        schemaNullableEnum(o.ContainerFormats),
		},
		"disk_format": map[string]any{
			"type":        schemaNullable("string"),
			"description": "Format of the disk the image data holds",
			"enum":        schemaNullableEnum(o.DiskFormats),
		},
		"created_at": map[string]any{
			"type":        "string",
			"readOnly":    true,
			"description": "When the image was registered",
		},
		"updated_at": map[string]any{
			"type":        "string",
			"readOnly":    true,
			"description": "When the image was last changed",
		},
		"tags": map[string]any{
			"type":        "array",
			"description": "Free-form labels attached to the image",
			"items":       map[string]any{"type": "string", "maxLength": 255},
		},
		"direct_url": map[string]any{
			"type":        "string",
			"readOnly":    true,
			"description": "Address of the image data in the backing store",
		},
		"min_ram": map[string]any{
			"type":        "integer",
			"description": "Least memory, in MB, a server booted from the image needs",
		},
		"min_disk": map[string]any{
			"type":        "integer",
			"description": "Least disk, in GB, a server booted from the image needs",
		},
		"self": map[string]any{
			"type":        "string",
			"readOnly":    true,
			"description": "URL of this image",
		},
		"file": map[string]any{
			"type":        "string",
			"readOnly":    true,
			"description": "URL of this image's data",
		},
		"stores": map[string]any{
			"type":     "string",
			"readOnly": true,
			"description": "Comma-separated IDs of the stores holding the image data; " +
				"present only when several stores are configured",
		},
		"schema": map[string]any{
			"type":        "string",
			"readOnly":    true,
			"description": "URL of the schema this image follows",
		},
		"locations": map[string]any{
			"type":        "array",
			"description": "Places in external stores where the image data can be read",
			"items":       schemaLocation(),
		},
	}
}

// schemaLocation describes one entry of an image's locations.
func schemaLocation() map[string]any {
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"url":             map[string]any{"type": "string", "maxLength": 255},
			"metadata":        map[string]any{"type": "object"},
			"validation_data": schemaValidationData(),
		},
		"required": []any{"url", "metadata"},
	}
}

// schemaValidationData describes the hashes a client may supply with a new location.
func schemaValidationData() map[string]any {
	return map[string]any{
		"description": "Hashes to record on the image along with this location; " +
			"once the image has left the queued state they must equal the ones it already has",
		"type":                 "object",
		"writeOnly":            true,
		"additionalProperties": false,
		"properties": map[string]any{
			"checksum":      map[string]any{"type": "string", "minLength": 32, "maxLength": 32},
			"os_hash_algo":  map[string]any{"type": "string", "maxLength": 64},
			"os_hash_value": map[string]any{"type": "string", "maxLength": 128},
		},
		"required": []any{"os_hash_algo", "os_hash_value"},
	}
}

// schemaMemberProperties are the properties of an image membership.
func schemaMemberProperties() map[string]any {
	return map[string]any{
		"member_id": map[string]any{
			"type":        "string",
			"description": "Project the image is shared with",
		},
		"image_id": map[string]any{
			"type":        "string",
			"description": "Image being shared",
			"pattern":     schemaUUIDPattern,
		},
		"created_at": map[string]any{
			"type":        "string",
			"description": "When the image was shared with the member",
		},
		"updated_at": map[string]any{
			"type":        "string",
			"description": "When the membership was last changed",
		},
		"status": map[string]any{
			"type":        "string",
			"description": "Whether the member has accepted the shared image",
			"enum":        schemaEnum(schemaMemberStatuses),
		},
		"schema": map[string]any{"readOnly": true, "type": "string"},
	}
}

// schemaTaskProperties are the properties of a task.
func schemaTaskProperties() map[string]any {
	return map[string]any{
		"id": map[string]any{
			"type":        "string",
			"description": "Unique identifier (UUID) of the task",
			"pattern":     schemaUUIDPattern,
		},
		"type": map[string]any{
			"type":        "string",
			"description": "Kind of work the task does",
			"enum":        schemaEnum(schemaTaskTypes),
		},
		"status": map[string]any{
			"type":        "string",
			"description": "How far the task has got",
			"enum":        schemaEnum(schemaTaskStatuses),
		},
		"input": map[string]any{
			"type":        schemaNullable("object"),
			"description": "Parameters the task was given, as a JSON object",
		},
		"result": map[string]any{
			"type":        schemaNullable("object"),
			"description": "Outcome of the task, as a JSON object",
		},
		"owner": map[string]any{
			"type":        "string",
			"description": "Project that owns the task",
		},
		"message": map[string]any{
			"type":        "string",
			"description": "Human-readable detail, usually set when the task failed",
		},
		"image_id": map[string]any{
			"type":        "string",
			"description": "Image the task works on",
		},
		"request_id": map[string]any{
			"type":        "string",
			"description": "ID of the request that started the task",
		},
		"user_id": map[string]any{
			"type":        "string",
			"description": "User who started the task",
		},
		"expires_at": map[string]any{
			"type":        schemaNullable("string"),
			"description": "When the task record may be purged",
		},
		"created_at": map[string]any{
			"type":        "string",
			"description": "When the task was created",
		},
		"updated_at": map[string]any{
			"type":        "string",
			"description": "When the task was last changed",
		},
		"self":   map[string]any{"readOnly": true, "type": "string"},
		"schema": map[string]any{"readOnly": true, "type": "string"},
	}
}

// schemaNullable is the JSON Schema type list allowing null or the given type.
func schemaNullable(typ string) []any {
	return []any{"null", typ}
}

// schemaEnum copies values into a new enum list.
func schemaEnum(values []string) []any {
	out := make([]any, 0, len(values))
	for _, v := range values {
		out = append(out, v)
	}
	return out
}

// schemaNullableEnum is an enum of null followed by values.
func schemaNullableEnum(values []string) []any {
	return append([]any{nil}, schemaEnum(values)...)
}
