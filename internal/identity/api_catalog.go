package identity

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

func (s *Service) catalogRoutes() []route {
	return []route{
		{"GET /v3/services", s.listServices},
		{"POST /v3/services", s.createService},
		{"GET /v3/services/{id}", s.getService},
		{"PATCH /v3/services/{id}", s.updateService},
		{"DELETE /v3/services/{id}", s.deleteService},

		{"GET /v3/endpoints", s.listEndpoints},
		{"POST /v3/endpoints", s.createEndpoint},
		{"GET /v3/endpoints/{id}", s.getEndpoint},
		{"PATCH /v3/endpoints/{id}", s.updateEndpoint},
		{"DELETE /v3/endpoints/{id}", s.deleteEndpoint},

		{"GET /v3/regions", s.listRegions},
		{"POST /v3/regions", s.createRegion},
		{"GET /v3/regions/{id}", s.getRegion},
		{"PUT /v3/regions/{id}", s.putRegion},
		{"PATCH /v3/regions/{id}", s.updateRegion},
		{"DELETE /v3/regions/{id}", s.deleteRegion},
	}
}

// Limits Keystone's schemas and columns put on catalog attributes.
const (
	maxCatalogString = 255 // service type and name, region id
	maxEndpointURL   = 225
)

// endpointInterfaces are the interfaces an endpoint may have.
var endpointInterfaces = []string{"admin", "internal", "public"}

// endpointURLPattern is Keystone's lenient URL check (RFC 1738 section 2.1: scheme ":" rest).
var endpointURLPattern = regexp.MustCompile(`^[a-zA-Z0-9+.-]+:.+`)

// urlSubstitutions are the $(name)s / %(name)s placeholders Keystone allows in endpoint URLs.
var urlSubstitutions = []string{
	"tenant_id", "project_id", "user_id", "public_bind_host", "admin_bind_host",
	"compute_host", "admin_port", "public_port",
}

// writeRendered writes a Keystone list of items rendered by view, applying list_limit.
func writeRendered[T any](s *Service, w http.ResponseWriter, r *http.Request, key string, items []T, view func(*http.Request, T) map[string]any) {
	items, truncated := limit(s, items)
	views := make([]map[string]any, len(items))
	for i, it := range items {
		views[i] = view(r, it)
	}
	s.writeList(w, r, key, views, truncated)
}

// writeMember writes {"<key>": view} with the given status.
func (s *Service) writeMember(w http.ResponseWriter, status int, key string, view map[string]any) {
	s.api.WriteJSON(w, status, map[string]any{key: view})
}

// checkUpdate rejects an empty PATCH body and an "id" that differs from the entity's, as
// Keystone does (minProperties 1 and "Cannot change ID").
func checkUpdate(a *attrs, id string) error {
	if len(a.m) == 0 {
		return invalidf("Invalid input for field '%s': at least one attribute must be given.", a.entity)
	}
	if v, ok := a.m["id"]; ok && v != nil && v != id {
		return invalidf("Invalid input for field '%s.id': Cannot change ID.", a.entity)
	}
	return nil
}

// --- services ---

func (s *Service) serviceView(r *http.Request, svc CatalogService) map[string]any {
	return withExtra(map[string]any{
		"id": svc.ID, "type": svc.Type, "name": svc.Name, "description": svc.Description,
		"enabled": svc.Enabled, "links": s.selfLink(r, "/v3/services/"+svc.ID),
	}, svc.Extra)
}

var serviceFields = []string{"id", "type", "name", "description", "enabled"}

func (s *Service) listServices(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:list_services", nil); err != nil {
		return err
	}
	q := r.URL.Query()
	services, err := s.store.ListServices(r.Context(), q.Get("type"), q.Get("name"))
	if err != nil {
		return err
	}
	writeRendered(s, w, r, "services", services, s.serviceView)
	return nil
}

func (s *Service) getService(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:get_service", nil); err != nil {
		return err
	}
	svc, err := s.store.GetService(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "service", s.serviceView(r, svc))
	return nil
}

func (s *Service) createService(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "service")
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:create_service", nil); err != nil {
		return err
	}
	svc := CatalogService{ID: newID(), Enabled: true}
	applyServiceAttrs(a, &svc, true)
	svc.Extra = a.extra(serviceFields...)
	if a.err != nil {
		return a.err
	}
	if err := s.store.CreateService(r.Context(), svc); err != nil {
		return err
	}
	s.writeMember(w, http.StatusCreated, "service", s.serviceView(r, svc))
	return nil
}

// applyServiceAttrs reads the service attributes the body sets; type is required on create.
func applyServiceAttrs(a *attrs, svc *CatalogService, create bool) {
	if create || a.has("type") {
		svc.Type = a.name("type", true, maxCatalogString)
	}
	if a.has("name") {
		svc.Name = a.name("name", true, maxCatalogString)
	}
	if a.has("description") {
		svc.Description = a.str("description", true)
	}
	svc.Enabled = a.boolean("enabled", svc.Enabled)
}

func (s *Service) updateService(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "service")
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:update_service", nil); err != nil {
		return err
	}
	svc, err := s.store.GetService(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := checkUpdate(a, svc.ID); err != nil {
		return err
	}
	applyServiceAttrs(a, &svc, false)
	svc.Extra = mergeExtra(svc.Extra, a.extra(serviceFields...))
	if a.err != nil {
		return a.err
	}
	if err := s.store.UpdateService(r.Context(), svc); err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "service", s.serviceView(r, svc))
	return nil
}

func (s *Service) deleteService(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:delete_service", nil); err != nil {
		return err
	}
	if err := s.store.DeleteService(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- endpoints ---

func (s *Service) endpointView(r *http.Request, e Endpoint) map[string]any {
	return withExtra(map[string]any{
		"id": e.ID, "interface": e.Interface, "region_id": nullable(e.RegionID), "region": nullable(e.RegionID),
		"service_id": e.ServiceID, "url": e.URL, "enabled": e.Enabled,
		"links": s.selfLink(r, "/v3/endpoints/"+e.ID),
	}, e.Extra)
}

var endpointFields = []string{"id", "interface", "url", "service_id", "region_id", "region", "enabled", "legacy_endpoint_id"}

func (s *Service) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:list_endpoints", nil); err != nil {
		return err
	}
	q := r.URL.Query()
	f := EndpointFilter{ServiceID: q.Get("service_id"), Interface: q.Get("interface"), RegionID: q.Get("region_id")}
	endpoints, err := s.store.ListEndpoints(r.Context(), f)
	if err != nil {
		return err
	}
	writeRendered(s, w, r, "endpoints", endpoints, s.endpointView)
	return nil
}

func (s *Service) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:get_endpoint", nil); err != nil {
		return err
	}
	e, err := s.store.GetEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "endpoint", s.endpointView(r, e))
	return nil
}

func (s *Service) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "endpoint")
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:create_endpoint", nil); err != nil {
		return err
	}
	e := Endpoint{ID: newID(), Enabled: true}
	legacyRegion, err := s.applyEndpointAttrs(r.Context(), a, &e, true)
	if err != nil {
		return err
	}
	e.Extra = a.extra(endpointFields...)
	if err := s.ensureLegacyRegion(r.Context(), legacyRegion); err != nil {
		return err
	}
	if err := s.store.CreateEndpoint(r.Context(), e); err != nil {
		return err
	}
	s.writeMember(w, http.StatusCreated, "endpoint", s.endpointView(r, e))
	return nil
}

func (s *Service) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "endpoint")
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:update_endpoint", nil); err != nil {
		return err
	}
	e, err := s.store.GetEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := checkUpdate(a, e.ID); err != nil {
		return err
	}
	legacyRegion, err := s.applyEndpointAttrs(r.Context(), a, &e, false)
	if err != nil {
		return err
	}
	e.Extra = mergeExtra(e.Extra, a.extra(endpointFields...))
	if err := s.ensureLegacyRegion(r.Context(), legacyRegion); err != nil {
		return err
	}
	if err := s.store.UpdateEndpoint(r.Context(), e); err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "endpoint", s.endpointView(r, e))
	return nil
}

// applyEndpointAttrs validates the endpoint attributes the body sets (interface, url and
// service_id are required on create) and checks the service and region exist. When the region
// is named only by the legacy "region" attribute and does not exist, its id is returned: Keystone
// creates such a region rather than failing.
func (s *Service) applyEndpointAttrs(ctx context.Context, a *attrs, e *Endpoint, create bool) (string, error) {
	if create || a.has("interface") {
		e.Interface = a.str("interface", false)
		if a.err == nil && !slices.Contains(endpointInterfaces, e.Interface) {
			a.fail("interface", "%q is not one of %s.", e.Interface, strings.Join(endpointInterfaces, ", "))
		}
	}
	if create || a.has("url") {
		e.URL = a.str("url", false)
		if a.err == nil {
			checkEndpointURL(a, e.URL)
		}
	}
	if create || a.has("service_id") {
		e.ServiceID = a.str("service_id", false)
	}
	regionID, legacy := a.str("region_id", true), a.str("region", true)
	e.Enabled = a.boolean("enabled", e.Enabled)
	if a.err != nil {
		return "", a.err
	}
	if create || a.has("service_id") {
		if err := s.mustExist(ctx, a, "service_id", "service", e.ServiceID, s.serviceExists); err != nil {
			return "", err
		}
	}
	switch {
	case regionID != "":
		e.RegionID = regionID
		return "", s.mustExist(ctx, a, "region_id", "region", regionID, s.regionExists)
	case legacy != "":
		e.RegionID = legacy
		ok, err := s.regionExists(ctx, legacy)
		if ok || err != nil {
			return "", err
		}
		return legacy, nil
	case a.has("region_id") || a.has("region"):
		e.RegionID = "" // explicitly cleared
	}
	return "", nil
}

// mustExist fails the field with a 400 when the entity it names does not exist, as Keystone does
// for an endpoint's service_id and region_id.
func (s *Service) mustExist(ctx context.Context, a *attrs, field, kind, id string, exists func(context.Context, string) (bool, error)) error {
	ok, err := exists(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		a.fail(field, "could not find %s: %s.", kind, id)
	}
	return a.err
}

func (s *Service) serviceExists(ctx context.Context, id string) (bool, error) {
	_, err := s.store.GetService(ctx, id)
	return lookupFound(err)
}

func (s *Service) regionExists(ctx context.Context, id string) (bool, error) {
	_, err := s.store.GetRegion(ctx, id)
	return lookupFound(err)
}

// lookupFound turns a lookup's error into "exists?", keeping errors other than not-found.
func lookupFound(err error) (bool, error) {
	if isNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// ensureLegacyRegion creates a region named by an endpoint's legacy "region" attribute.
func (s *Service) ensureLegacyRegion(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	if len([]rune(id)) > maxCatalogString {
		return invalidf("Invalid input for field 'endpoint.region': must be at most %d characters.", maxCatalogString)
	}
	return s.store.CreateRegion(ctx, Region{ID: id})
}

// checkEndpointURL applies Keystone's URL checks: at most 225 characters, a scheme, and no
// substitutions other than the whitelisted $(name)s / %(name)s placeholders.
func checkEndpointURL(a *attrs, url string) {
	switch {
	case len([]rune(url)) > maxEndpointURL:
		a.fail("url", "must be at most %d characters.", maxEndpointURL)
	case !endpointURLPattern.MatchString(url):
		a.fail("url", "%q is not a URL.", url)
	case !validSubstitutions(url):
		a.fail("url", "Cannot create an endpoint with an invalid URL: %s.", url)
	}
}

// validSubstitutions reports whether every '%' of the URL (with "$(" read as "%(") is either
// "%%" or a whitelisted "%(name)s", which is what Keystone's Python %-formatting accepts.
func validSubstitutions(url string) bool {
	s := strings.ReplaceAll(url, "$(", "%(")
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		rest := s[i+1:]
		switch {
		case strings.HasPrefix(rest, "%"):
			i++
		case strings.HasPrefix(rest, "("):
			end := strings.IndexByte(rest, ')')
			if end < 0 || !slices.Contains(urlSubstitutions, rest[1:end]) || !strings.HasPrefix(rest[end+1:], "s") {
				return false
			}
			i += end + 2
		default:
			return false
		}
	}
	return true
}

func (s *Service) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:delete_endpoint", nil); err != nil {
		return err
	}
	if err := s.store.DeleteEndpoint(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- regions ---

func (s *Service) regionView(r *http.Request, reg Region) map[string]any {
	return withExtra(map[string]any{
		"id": reg.ID, "description": reg.Description, "parent_region_id": nullable(reg.ParentRegionID),
		"links": s.selfLink(r, "/v3/regions/"+reg.ID),
	}, reg.Extra)
}

var regionFields = []string{"id", "description", "parent_region_id"}

func (s *Service) listRegions(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:list_regions", nil); err != nil {
		return err
	}
	regions, err := s.store.ListRegions(r.Context(), r.URL.Query().Get("parent_region_id"))
	if err != nil {
		return err
	}
	writeRendered(s, w, r, "regions", regions, s.regionView)
	return nil
}

func (s *Service) getRegion(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:get_region", nil); err != nil {
		return err
	}
	reg, err := s.store.GetRegion(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "region", s.regionView(r, reg))
	return nil
}

// createRegion handles POST /v3/regions: the id is the body's, or a new one.
func (s *Service) createRegion(w http.ResponseWriter, r *http.Request) error {
	return s.storeNewRegion(w, r, "")
}

// putRegion handles PUT /v3/regions/{id}: creates the region with the path's id.
func (s *Service) putRegion(w http.ResponseWriter, r *http.Request) error {
	return s.storeNewRegion(w, r, r.PathValue("id"))
}

func (s *Service) storeNewRegion(w http.ResponseWriter, r *http.Request, pathID string) error {
	a, err := decodeEntity(r, "region")
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:create_region", nil); err != nil {
		return err
	}
	reg := Region{ID: a.str("id", false)}
	applyRegionAttrs(a, &reg)
	reg.Extra = a.extra(regionFields...)
	if a.err != nil {
		return a.err
	}
	if err := newRegionID(&reg, pathID); err != nil {
		return err
	}
	if err := s.checkParentRegion(r.Context(), "", reg.ParentRegionID); err != nil {
		return err
	}
	if err := s.store.CreateRegion(r.Context(), reg); err != nil {
		return err
	}
	s.writeMember(w, http.StatusCreated, "region", s.regionView(r, reg))
	return nil
}

// newRegionID settles a new region's id: the path's (which the body may repeat, not contradict),
// else the body's, else a generated one.
func newRegionID(reg *Region, pathID string) error {
	switch {
	case pathID != "" && reg.ID != "" && reg.ID != pathID:
		return invalidf("Conflicting region IDs specified: %q != %q", pathID, reg.ID)
	case pathID != "":
		reg.ID = pathID
	case reg.ID == "":
		reg.ID = newID()
	}
	if len([]rune(reg.ID)) > maxCatalogString {
		return invalidf("Invalid input for field 'region.id': must be at most %d characters.", maxCatalogString)
	}
	return nil
}

// applyRegionAttrs reads the description and parent a body sets; null clears them.
func applyRegionAttrs(a *attrs, reg *Region) {
	if a.has("description") {
		reg.Description = a.str("description", true)
	}
	if a.has("parent_region_id") {
		reg.ParentRegionID = a.str("parent_region_id", true)
	}
}

// checkParentRegion checks that the parent exists (404 otherwise) and that making it the parent
// of regionID ("" for a new region) would not close a cycle (400).
func (s *Service) checkParentRegion(ctx context.Context, regionID, parentID string) error {
	seen := map[string]bool{}
	for id := parentID; id != "" && !seen[id]; {
		if id == regionID {
			return invalidf("The specified parent region %s would create a circular region hierarchy.", parentID)
		}
		seen[id] = true
		parent, err := s.store.GetRegion(ctx, id)
		if err != nil {
			return err
		}
		id = parent.ParentRegionID
	}
	return nil
}

func (s *Service) updateRegion(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "region")
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:update_region", nil); err != nil {
		return err
	}
	reg, err := s.store.GetRegion(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := checkUpdate(a, reg.ID); err != nil {
		return err
	}
	applyRegionAttrs(a, &reg)
	reg.Extra = mergeExtra(reg.Extra, a.extra(regionFields...))
	if a.err != nil {
		return a.err
	}
	if err := s.checkParentRegion(r.Context(), reg.ID, reg.ParentRegionID); err != nil {
		return err
	}
	if err := s.store.UpdateRegion(r.Context(), reg); err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "region", s.regionView(r, reg))
	return nil
}

func (s *Service) deleteRegion(w http.ResponseWriter, r *http.Request) error {
	if err := s.enforce(r, "identity:delete_region", nil); err != nil {
		return err
	}
	if err := s.store.DeleteRegion(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
