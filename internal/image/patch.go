package image

import (
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/gostack/gostack/internal/platform/httpapi"
)

// Media types of PATCH /v2/images/{id}: JSON patch in Glance's two dialects.
const (
	patchV21 = "application/openstack-images-v2.1-json-patch" // {"op": "add", "path": "/name", "value": …}
	patchV20 = "application/openstack-images-v2.0-json-patch" // draft 4: {"add": "/name", "value": …}
)

// patchOp is one operation of a JSON patch.
type patchOp struct {
	Op    string
	Path  json.RawMessage
	Value json.RawMessage
}

// patchOpNames are the operations Glance supports.
var patchOpNames = []string{"add", "remove", "replace"}

// readOps reads the operations of a patch body in either dialect.
func readOps(raw []map[string]json.RawMessage, draft4 bool) ([]patchOp, error) {
	ops := make([]patchOp, 0, len(raw))
	for _, m := range raw {
		if m == nil {
			return nil, httpapi.BadRequest("Operations must be JSON objects.")
		}
		o := patchOp{Path: m["path"], Value: m["value"]}
		if draft4 {
			o.Path = nil
			for _, name := range patchOpNames {
				if path, ok := m[name]; ok {
					if o.Op != "" {
						return nil, httpapi.BadRequest("Operation objects must contain only one member named \"add\", \"remove\", or \"replace\".")
					}
					o.Op, o.Path = name, path
				}
			}
			if o.Op == "" {
				return nil, httpapi.BadRequest("Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\".")
			}
		} else if rawOp, ok := m["op"]; ok {
			if err := json.Unmarshal(rawOp, &o.Op); err != nil {
				return nil, httpapi.BadRequest("Each operation's \"op\" must be a string: add, remove or replace.")
			}
		}
		ops = append(ops, o)
	}
	return ops, nil
}

// updateImage is PATCH /v2/images/{id}: every operation is validated and applied to a copy,
// and the result is written in one transaction, or nothing is.
func (s *Service) updateImage(w http.ResponseWriter, r *http.Request) error {
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if media != patchV21 && media != patchV20 {
		return httpapi.Errorf(http.StatusUnsupportedMediaType,
			"Unsupported Content-Type %q: use %s (or %s)", r.Header.Get("Content-Type"), patchV21, patchV20)
	}
	var raw []map[string]json.RawMessage
	if err := httpapi.DecodeJSON(r, &raw); err != nil {
		return err
	}
	ops, err := readOps(raw, media == patchV20)
	if err != nil {
		return err
	}
	a, err := s.loadFor(r, "modify_image")
	if err != nil {
		return err
	}
	if len(ops) == 0 { // Glance saves nothing for an empty patch
		s.api.WriteJSON(w, http.StatusOK, s.view(a.img))
		return nil
	}
	c := caller(r)
	img := a.img.clone()
	for _, op := range ops {
		if err := s.applyOp(&img, op, media == patchV20); err != nil {
			return err
		}
	}
	if img.Owner != a.img.Owner && !s.isAdmin(c) {
		return httpapi.Forbidden("Only an administrator may change the owner of an image.")
	}
	if err := s.checkVisibility(c, img, a.img.Visibility); err != nil {
		return err
	}
	img.UpdatedAt = s.now()
	if err := s.store.Update(r.Context(), img, a.img.Status); err != nil {
		return err
	}
	s.api.WriteJSON(w, http.StatusOK, s.view(img))
	return nil
}

// applyOp applies one add, remove or replace operation; in the v2.0 dialect (draft4) an add
// of an attribute that exists is a 409.
func (s *Service) applyOp(img *Image, op patchOp, draft4 bool) error {
	switch {
	case op.Op == "":
		return httpapi.BadRequest("Each operation needs an \"op\": add, remove or replace.")
	case !slices.Contains(patchOpNames, op.Op):
		return httpapi.BadRequest("Operation %q is not supported: use add, remove or replace.", op.Op)
	}
	name, err := patchPath(op.Path)
	if err != nil {
		return err
	}
	if err := checkWritable(name, false); err != nil {
		return err
	}
	switch op.Op {
	case "add", "replace":
		if len(op.Value) == 0 {
			return httpapi.BadRequest("Operation %q on %s needs a value.", op.Op, name)
		}
		var value any
		if err := json.Unmarshal(op.Value, &value); err != nil {
			return httpapi.BadRequest("Malformed value for %s: %v", name, err)
		}
		if op.Op == "replace" && !isCore(name) {
			if _, ok := img.Properties[name]; !ok {
				return &ConflictError{Message: "Property " + name + " does not exist."}
			}
		}
		if op.Op == "add" && draft4 && (isCore(name) || hasProperty(img, name)) && name != "tags" {
			return &ConflictError{Message: "Property " + name + " already present."}
		}
		return s.setAttr(img, name, value, false)
	default: // remove
		return removeAttr(img, name)
	}
}

func hasProperty(img *Image, name string) bool {
	_, ok := img.Properties[name]
	return ok
}

// patchPath reads an operation's path: a JSON pointer with one reference token.
func patchPath(raw json.RawMessage) (string, error) {
	var path string
	if err := json.Unmarshal(raw, &path); err != nil || len(raw) == 0 {
		return "", httpapi.BadRequest("Each operation needs a \"path\" string.")
	}
	token, ok := strings.CutPrefix(path, "/")
	if !ok || token == "" || strings.Contains(token, "/") {
		return "", httpapi.BadRequest("Invalid JSON pointer for this resource: '%s'", path)
	}
	if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(token, "~0", ""), "~1", ""), "~") {
		return "", httpapi.BadRequest("Invalid JSON pointer for this resource: '%s' (a ~ must be followed by 0 or 1)", path)
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~"), nil
}
