package openapitest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// tinySpec exercises $ref, inline schemas, path templates, literal-over-parameter
// precedence, status ranges and operations without a body.
const tinySpec = `
openapi: 3.1.0
info: {title: tiny, version: '1'}
paths:
  /:
    get:
      operationId: root:get
      responses:
        '200': {description: Ok}
  /v1/things:
    get:
      operationId: things:get
      responses:
        '200':
          description: Ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ThingsGetResponse'}
        '404': {description: Error}
    post:
      responses:
        '201':
          description: Created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
  /v1/things/{thing_id}:
    parameters:
      - {name: thing_id, in: path, required: true, schema: {type: string}}
    get:
      operationId: things/thing_id:get
      responses:
        '200':
          description: Ok
          content:
            application/json:
              schema:
                type: object
                properties:
                  thing: {$ref: '#/components/schemas/Thing/properties/thing'}
                required: [thing]
        '403': {description: Error}
    head:
      operationId: things/thing_id:head
      responses:
        '200': {description: Ok}
    delete:
      operationId: things/thing_id:delete
      responses:
        '204': {description: Ok}
  /v1/things/default:
    get:
      operationId: things/default:get
      responses:
        default:
          description: Anything
          content:
            application/json:
              schema: {type: object, required: [default]}
  /v1/things/{thing_id}/parts/{part_id}:
    get:
      operationId: parts:get
      responses:
        2XX:
          description: Ok
          content:
            application/json:
              schema: {type: array}
components:
  schemas:
    Thing:
      type: object
      properties:
        thing:
          type: object
          properties:
            id: {type: string, format: uuid}
            count: {type: integer, minimum: 0}
            created_at: {type: string, format: date-time}
            links:
              type: object
              properties:
                self: {type: string, format: uri}
          required: [id]
          additionalProperties: false
          x-openstack: {min-ver: '1.1'}
    ThingsGetResponse:
      type: object
      properties:
        things:
          type: array
          items: {$ref: '#/components/schemas/Thing/properties/thing'}
      required: [things]
`

func tiny(t *testing.T) *Spec {
	t.Helper()
	s, err := Parse("tiny.yaml", []byte(tinySpec))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOperationMatching(t *testing.T) {
	s := tiny(t)
	cases := []struct {
		method, path, want string
	}{
		{"GET", "/", "root:get"},
		{"GET", "/v1/things", "things:get"},
		{"get", "/v1/things/", "things:get"},
		{"GET", "/v1/things?limit=2&marker=x", "things:get"},
		{"POST", "/v1/things", "POST /v1/things"}, // no operationId: method and template
		{"GET", "/v1/things/abc", "things/thing_id:get"},
		{"HEAD", "/v1/things/abc", "things/thing_id:head"},
		{"GET", "/v1/things/default", "things/default:get"},
		{"GET", "/v1/things/abc/parts/7", "parts:get"},
		{"PUT", "/v1/things/abc", ""},
		{"GET", "/v1/things/abc/parts", ""},
		{"GET", "/v2/things", ""},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			got, ok := s.Operation(c.method, c.path)
			if ok != (c.want != "") || got != c.want {
				t.Fatalf("Operation = %q, %v; want %q", got, ok, c.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	s := tiny(t)
	const good = `{"thing": {"id": "default", "count": 2, "created_at": "2024-05-01T10:00:00.000000Z", "links": {"self": "http://h/v1/things/default"}}}`
	type want struct{ pointer, reason string }
	cases := []struct {
		name         string
		method, path string
		status       int
		body         string
		want         []want
	}{
		{"valid via inline schema and $ref", "GET", "/v1/things/x", 200, good, nil},
		{"valid list", "GET", "/v1/things", 200, `{"things": [{"id": "a"}, {"id": "b", "count": 0}]}`, nil},
		{"wrong type in list item", "GET", "/v1/things", 200, `{"things": [{"id": "a"}, {"id": 7}]}`,
			[]want{{"/things/1/id", "want string"}}},
		{"missing required", "GET", "/v1/things/x", 200, `{"thing": {"count": 1}}`,
			[]want{{"/thing", "missing property 'id'"}}},
		{"unknown property", "GET", "/v1/things/x", 200, `{"thing": {"id": "a", "color": "red"}}`,
			[]want{{"/thing", "additional properties 'color' not allowed"}}},
		{"bad date-time and minimum", "GET", "/v1/things/x", 200, `{"thing": {"id": "a", "count": -1, "created_at": "yesterday"}}`,
			[]want{{"/thing/count", "minimum"}, {"/thing/created_at", "date-time"}}},
		{"bad uri", "GET", "/v1/things/x", 200, `{"thing": {"id": "a", "links": {"self": "no scheme"}}}`,
			[]want{{"/thing/links/self", "uri"}}},
		{"undescribed success status still checks the body", "POST", "/v1/things", 200, `{"thing": {}}`,
			[]want{{"", "status 200 is not described (the spec lists 201)"}, {"/thing", "missing property 'id'"}}},
		{"undescribed redirect status still checks the body", "POST", "/v1/things", 300, `{"thing": {"id": 1}}`,
			[]want{{"", "status 300 is not described"}, {"/thing/id", "want string"}}},
		{"undescribed status without a body", "POST", "/v1/things", 204, "",
			[]want{{"", "status 204 is not described"}}},
		{"undescribed error status", "GET", "/v1/things/x", 500, `{"error": {}}`,
			[]want{{"", "status 500 is not described"}}},
		{"listed error without schema", "GET", "/v1/things/x", 403, `{"error": {"code": 403}}`, nil},
		{"head has no body to check", "HEAD", "/v1/things/x", 200, "", nil},
		{"delete without body", "DELETE", "/v1/things/x", 204, "", nil},
		{"body where the spec has none", "DELETE", "/v1/things/x", 204, `{}`,
			[]want{{"", "describes no body for 204"}}},
		{"empty body where the spec has a schema", "GET", "/v1/things/x", 200, " ",
			[]want{{"", "empty body"}}},
		{"not JSON", "GET", "/v1/things/x", 200, `{"thing": `, []want{{"", "not JSON"}}},
		{"status range", "GET", "/v1/things/x/parts/y", 202, `[]`, nil},
		{"status range wrong body", "GET", "/v1/things/x/parts/y", 200, `{}`, []want{{"", "want array"}}},
		{"default response", "GET", "/v1/things/default", 418, `{}`, []want{{"", "missing property 'default'"}}},
		{"unknown method", "PUT", "/v1/things/x", 200, `{}`, []want{{"", "no PUT operation on /v1/things/{thing_id}"}}},
		{"unknown path", "GET", "/v1/nothing?x=1", 200, `{}`, []want{{"", "no path matching /v1/nothing"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := s.Check(c.method, c.path, c.status, []byte(c.body))
			if len(got) != len(c.want) {
				t.Fatalf("got %d violations %v, want %d", len(got), got, len(c.want))
			}
			for i, w := range c.want {
				if got[i].Pointer != w.pointer || !strings.Contains(got[i].Reason, w.reason) {
					t.Errorf("violation %d = %v, want pointer %q and reason containing %q", i, got[i], w.pointer, w.reason)
				}
			}
		})
	}
}

func TestViolationNamesOperation(t *testing.T) {
	v := tiny(t).Check("GET", "/v1/things/x", 200, []byte(`{"thing": {"id": 1}}`))
	if len(v) != 1 || v[0].Operation != "things/thing_id:get" || v[0].String() != `things/thing_id:get: "/thing/id": got number, want string` {
		t.Fatalf("violations %v", v)
	}
}

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	fatal  string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// run calls fn with the recorder on its own goroutine, so Fatalf can end it.
func (r *recorder) run(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
	}()
	<-done
}

func TestValidateResponseFailsTheTest(t *testing.T) {
	s := tiny(t)
	r := &recorder{TB: t}
	s.ValidateResponse(r, "GET", "/v1/things/x", 200, []byte(`{"thing": {"id": 1, "count": "2"}}`))
	if len(r.errors) != 2 {
		t.Fatalf("errors %q", r.errors)
	}
	for _, want := range []string{`"/thing/count"`, `"/thing/id"`} {
		if !strings.Contains(strings.Join(r.errors, "\n"), want) {
			t.Errorf("no error at %s in %q", want, r.errors)
		}
	}
	if !strings.HasPrefix(r.errors[0], "openapi GET /v1/things/x -> 200: things/thing_id:get: ") {
		t.Errorf("message %q", r.errors[0])
	}
	r = &recorder{TB: t}
	s.ValidateResponse(r, "GET", "/v1/things/x", 200, []byte(`{"thing": {"id": "a"}}`))
	if len(r.errors) != 0 {
		t.Fatalf("errors %q", r.errors)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"not yaml":     "paths: [",
		"not object":   "- 1",
		"no paths":     "openapi: 3.1.0",
		"bad ref":      "paths: {/a: {get: {responses: {'200': {content: {application/json: {schema: {$ref: '#/components/schemas/Nope'}}}}}}}}",
		"bad schema":   "paths: {/a: {get: {responses: {'200': {content: {application/json: {schema: {type: 7}}}}}}}}",
		"bad path":     "paths: {/a: 1}",
		"bad response": "paths: {/a: {get: {responses: {'200': {$ref: '#/components/responses/X'}}}}}",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse("bad.yaml", []byte(doc)); err == nil || !strings.Contains(err.Error(), "bad.yaml") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	top := t.TempDir()
	repo := filepath.Join(top, "main")
	deep := filepath.Join(repo, "internal", "svc")
	spec := filepath.Join(top, "shared", "openapi", "svc", "v1.yaml")
	for _, d := range []string{deep, filepath.Dir(spec)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Locate(deep, "svc", "v1.yaml"); err == nil {
		t.Fatal("found a spec without a repository root")
	}
	write(t, filepath.Join(repo, "go.mod"), "module x\n")
	if _, err := Locate(deep, "svc", "v1.yaml"); err == nil || !strings.Contains(err.Error(), "../shared/openapi/svc/v1.yaml") {
		t.Fatalf("missing spec: err = %v", err)
	}
	write(t, spec, tinySpec)
	got, err := Locate(deep, "svc", "v1.yaml")
	if err != nil || got != spec {
		t.Fatalf("Locate = %q, %v; want %q", got, err, spec)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRealSpecOnce(t *testing.T) {
	a := Load(t, "identity", "v3.14.yaml")
	b := Load(t, "identity", "v3.14.yaml")
	if a != b {
		t.Fatal("spec parsed twice")
	}
	if id, ok := a.Operation("GET", "/v3/users/abc?name=x"); !ok || id != "users/user_id:get" {
		t.Fatalf("operation %q %v", id, ok)
	}
}

func TestLoadMissingSpecFails(t *testing.T) {
	for range 2 { // the cached failure fails every caller
		r := &recorder{TB: t}
		r.run(func(tb testing.TB) { Load(tb, "no-such-service", "v1.yaml") })
		if !strings.Contains(r.fatal, "no-such-service/v1.yaml") || !strings.Contains(r.fatal, "not found") {
			t.Fatalf("fatal %q", r.fatal)
		}
	}
}
