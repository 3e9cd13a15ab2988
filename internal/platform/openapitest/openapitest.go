// Package openapitest is a test oracle: it checks a service's HTTP responses against the
// OpenAPI 3.1 documents of the OpenStack APIs kept beside the repository in
// ../shared/openapi/<service>/<file> (the gtema/openstack-openapi schemas).
//
// A response is matched to an operation by method and concrete path (against the spec's
// path templates, such as /v3/users/{user_id}) and to a response object by status code;
// its JSON body is then validated, as JSON Schema draft 2020-12, against the schema the
// spec gives there. Unknown keywords such as x-openstack are ignored. Formats are
// asserted except "uuid": the generated specs label every OpenStack ID that way, while
// real IDs also take other shapes (Keystone's 32-hex IDs, the "default" domain).
package openapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// Spec is a loaded OpenAPI document. It is immutable and safe for concurrent use.
type Spec struct {
	name  string
	paths []*pathItem
}

// pathItem is one path template of the spec and its operations by upper-case method.
type pathItem struct {
	template string
	segments []string
	ops      map[string]*operation
}

// operation is one method of a path item.
type operation struct {
	id        string
	responses map[string]*responseSpec // by status code, "2XX"-style range or "default"
}

// responseSpec is what the spec says about one response of an operation.
type responseSpec struct {
	key    string
	schema *jsonschema.Schema // nil when the spec gives no JSON body
}

// Violation is one way a response departs from the spec.
type Violation struct {
	// Operation is the spec's operationId (e.g. "users:post"), or "METHOD path" when the
	// spec has no operation for the request.
	Operation string
	// Pointer is the JSON pointer of the offending value in the body ("" is the whole
	// body, or the response as a whole when the status itself is the problem).
	Pointer string
	// Reason says what is wrong.
	Reason string
}

// String renders the violation for a test log.
func (v Violation) String() string {
	return fmt.Sprintf("%s: %q: %s", v.Operation, v.Pointer, v.Reason)
}

// cache holds every spec loaded by this process, successful or not, by "service/file".
var cache struct {
	sync.Mutex
	specs map[string]*cached
}

// cached is one Load result; once guards its computation.
type cached struct {
	once sync.Once
	spec *Spec
	err  error
}

// Load returns the spec ../shared/openapi/<service>/<file>, found by walking up from the
// working directory to the repository root (the directory holding go.mod). It fails the
// test when the file is missing or invalid. Specs are parsed once per process.
func Load(t testing.TB, service, file string) *Spec {
	t.Helper()
	key := service + "/" + file
	cache.Lock()
	if cache.specs == nil {
		cache.specs = map[string]*cached{}
	}
	c, ok := cache.specs[key]
	if !ok {
		c = &cached{}
		cache.specs[key] = c
	}
	cache.Unlock()
	c.once.Do(func() { c.spec, c.err = loadFile(service, file) })
	if c.err != nil {
		t.Fatalf("openapitest: %v", c.err)
	}
	return c.spec
}

// loadFile locates and parses a spec from the working directory.
func loadFile(service, file string) (*Spec, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	path, err := Locate(wd, service, file)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	return Parse(path, data)
}

// Locate returns the path of ../shared/openapi/<service>/<file> relative to the
// repository root at or above dir, or an error saying where it looked.
func Locate(dir, service, file string) (string, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("locate repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", fmt.Errorf("no go.mod in %s or any parent: cannot find the repository root", dir)
		}
		root = parent
	}
	path := filepath.Join(filepath.Dir(root), "shared", "openapi", service, file)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("OpenAPI spec %s not found (expected ../shared/openapi/%s/%s beside the repository root %s): %w",
			path, service, file, root, err)
	}
	return path, nil
}

// Parse reads an OpenAPI 3.1 document (YAML or JSON) and compiles the schema of every
// response it describes; name identifies the document in messages.
func Parse(name string, data []byte) (*Spec, error) {
	var raw any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	doc, err := toJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse %s: the document is not an object", name)
	}
	paths, ok := root["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse %s: no paths object", name)
	}
	c := newCompiler()
	base := "mem:///" + url.PathEscape(filepath.Base(name))
	if err := c.AddResource(base, root); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	s := &Spec{name: name}
	for _, template := range sortedKeys(paths) {
		item, err := parsePathItem(c, base, template, paths[template])
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		s.paths = append(s.paths, item)
	}
	return s, nil
}

// newCompiler is a draft 2020-12 compiler asserting formats other than "uuid".
func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "uuid", Validate: func(any) error { return nil }})
	return c
}

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// parsePathItem reads the operations of one path template.
func parsePathItem(c *jsonschema.Compiler, base, template string, v any) (*pathItem, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("path %s is not an object", template)
	}
	item := &pathItem{template: template, segments: splitPath(template), ops: map[string]*operation{}}
	for _, m := range httpMethods {
		opv, ok := obj[m]
		if !ok {
			continue
		}
		ptr := "/paths/" + escapePointer(template) + "/" + m
		op, err := parseOperation(c, base, ptr, opv)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", strings.ToUpper(m), template, err)
		}
		if op.id == "" {
			op.id = strings.ToUpper(m) + " " + template
		}
		item.ops[strings.ToUpper(m)] = op
	}
	return item, nil
}

// parseOperation reads the responses of one operation at JSON pointer ptr.
func parseOperation(c *jsonschema.Compiler, base, ptr string, v any) (*operation, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("operation is not an object")
	}
	op := &operation{responses: map[string]*responseSpec{}}
	op.id, _ = obj["operationId"].(string)
	responses, _ := obj["responses"].(map[string]any)
	for key, rv := range responses {
		rs := &responseSpec{key: key}
		robj, _ := rv.(map[string]any)
		if _, isRef := robj["$ref"]; isRef {
			return nil, fmt.Errorf("response %s: $ref responses are not supported", key)
		}
		content, _ := robj["content"].(map[string]any)
		if media, ok := content["application/json"].(map[string]any); ok {
			if _, ok := media["schema"]; ok {
				loc := base + "#" + ptr + "/responses/" + escapePointer(key) + "/content/application~1json/schema"
				sch, err := c.Compile(loc)
				if err != nil {
					return nil, fmt.Errorf("response %s schema: %w", key, err)
				}
				rs.schema = sch
			}
		}
		op.responses[key] = rs
	}
	return op, nil
}

// ValidateResponse checks a JSON response body against the schema the spec gives for the
// operation (method and concrete path, any query string ignored) and status code. It
// fails the test with the JSON pointer and reason of every violation; see Check.
func (s *Spec) ValidateResponse(t testing.TB, method, path string, status int, body []byte) {
	t.Helper()
	for _, v := range s.Check(method, path, status, body) {
		t.Errorf("openapi %s %s -> %d: %s", method, path, status, v)
	}
}

// Check returns every way a response departs from the spec: an operation the spec does
// not have; a status it does not describe (unless the status is an error the spec lists
// without a schema); a body that is not JSON or does not match the status's schema; a body
// where the spec describes none. A HEAD response's body is not checked. When a non-error
// status is undescribed but the operation has exactly one 2xx response with a schema, a
// non-empty body is still checked against that schema, so one run reports everything.
func (s *Spec) Check(method, path string, status int, body []byte) []Violation {
	method = strings.ToUpper(method)
	item, op := s.find(method, path)
	if op == nil {
		reason := "the spec has no path matching " + stripQuery(path)
		if item != nil {
			reason = fmt.Sprintf("the spec has no %s operation on %s", method, item.template)
		}
		return []Violation{{Operation: method + " " + stripQuery(path), Reason: reason}}
	}
	rs := op.response(status)
	var out []Violation
	if rs == nil {
		out = append(out, Violation{Operation: op.id, Reason: fmt.Sprintf(
			"status %d is not described (the spec lists %s)", status, strings.Join(op.statuses(), ", "))})
		if rs = op.onlySuccess(); rs == nil || status >= 400 || len(bytes.TrimSpace(body)) == 0 {
			return out
		}
	}
	if method == "HEAD" {
		return out
	}
	return append(out, checkBody(op.id, rs, status, body)...)
}

// checkBody validates a body against the response object the status selected.
func checkBody(opID string, rs *responseSpec, status int, body []byte) []Violation {
	empty := len(bytes.TrimSpace(body)) == 0
	if rs.schema == nil {
		if empty || status >= 400 {
			return nil
		}
		return []Violation{{Operation: opID, Reason: fmt.Sprintf("the spec describes no body for %s, got %d bytes", rs.key, len(body))}}
	}
	if empty {
		return []Violation{{Operation: opID, Reason: fmt.Sprintf("empty body, the spec gives a JSON schema for %s", rs.key)}}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []Violation{{Operation: opID, Reason: "body is not JSON: " + err.Error()}}
	}
	err = rs.schema.Validate(inst)
	var ve *jsonschema.ValidationError
	if err == nil || !errors.As(err, &ve) {
		if err != nil {
			return []Violation{{Operation: opID, Reason: err.Error()}}
		}
		return nil
	}
	var out []Violation
	for _, leaf := range leaves(ve) {
		out = append(out, Violation{Operation: opID, Pointer: pointer(leaf.InstanceLocation), Reason: leaf.BasicOutput().Error.String()})
	}
	// The validator visits an object's properties in map order; sort so a
	// response's violations always read the same way.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pointer != out[j].Pointer {
			return out[i].Pointer < out[j].Pointer
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// leaves returns the innermost causes of a validation error: the specific failures.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// Operation returns the operationId the spec gives for a request, or false if it has none.
func (s *Spec) Operation(method, path string) (string, bool) {
	_, op := s.find(strings.ToUpper(method), path)
	if op == nil {
		return "", false
	}
	return op.id, true
}

// find returns the most specific path item matching path, and its operation for method.
func (s *Spec) find(method, path string) (*pathItem, *operation) {
	segs := splitPath(stripQuery(path))
	var best *pathItem
	for _, item := range s.paths {
		if item.matches(segs) && (best == nil || moreSpecific(item, best)) {
			best = item
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, best.ops[method]
}

// matches reports whether concrete path segments fit the template.
func (p *pathItem) matches(segs []string) bool {
	if len(segs) != len(p.segments) {
		return false
	}
	for i, want := range p.segments {
		if !isParam(want) && want != segs[i] {
			return false
		}
	}
	return true
}

// moreSpecific reports whether a beats b: at the first segment where one has a literal
// and the other a parameter, the literal wins (/domains/config/default over
// /domains/{domain_id}/config).
func moreSpecific(a, b *pathItem) bool {
	for i := range a.segments {
		pa, pb := isParam(a.segments[i]), isParam(b.segments[i])
		if pa != pb {
			return pb
		}
	}
	return false
}

// isParam reports whether a template segment is a parameter such as {user_id}.
func isParam(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// response picks the response object for a status: exact code, then range, then default.
func (op *operation) response(status int) *responseSpec {
	code := strconv.Itoa(status)
	for _, key := range []string{code, code[:1] + "XX", code[:1] + "xx", "default"} {
		if rs, ok := op.responses[key]; ok {
			return rs
		}
	}
	return nil
}

// onlySuccess returns the operation's one 2xx response with a schema, if it has exactly one.
func (op *operation) onlySuccess() *responseSpec {
	var found *responseSpec
	for key, rs := range op.responses {
		if strings.HasPrefix(key, "2") && rs.schema != nil {
			if found != nil {
				return nil
			}
			found = rs
		}
	}
	return found
}

// statuses lists the operation's response keys in order.
func (op *operation) statuses() []string {
	return sortedKeys(op.responses)
}

// stripQuery drops a query string and fragment from a request path.
func stripQuery(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		return path[:i]
	}
	return path
}

// splitPath splits a path into segments, ignoring a trailing slash; "/" has none.
func splitPath(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// escapePointer escapes one JSON pointer token.
func escapePointer(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// pointer renders an instance location as a JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteString("/" + escapePointer(t))
	}
	return b.String()
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// toJSON turns a decoded YAML value into the JSON data model jsonschema expects.
func toJSON(v any) (any, error) {
	norm, err := normalize(v)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(norm)
	if err != nil {
		return nil, fmt.Errorf("convert to JSON: %w", err)
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(data))
}

// normalize gives every YAML mapping string keys and every timestamp its text form.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(k)] = n
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
		}
		return out, nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	}
	return v, nil
}
