package identity

import (
	"context"
	"database/sql"

	"github.com/gostack/gostack/internal/platform/db"
)

const serviceColumns = "id, type, name, description, enabled, extra"

func scanService(r db.Scanner) (CatalogService, error) {
	var s CatalogService
	var name, desc, extra sql.NullString
	if err := r.Scan(&s.ID, &s.Type, &name, &desc, &s.Enabled, &extra); err != nil {
		return s, err
	}
	s.Name, s.Description = name.String, desc.String
	var err error
	s.Extra, err = decodeJSON(extra)
	return s, err
}

// CreateService stores a catalog service.
func (s *Store) CreateService(ctx context.Context, svc CatalogService) error {
	extra, err := encodeJSON(svc.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO service ("+serviceColumns+") VALUES (?, ?, ?, ?, ?, ?)",
			svc.ID, svc.Type, nullString(svc.Name), nullString(svc.Description), svc.Enabled, extra)
		return conflict(err, "service", "Duplicate ID, "+svc.ID)
	})
}

// GetService returns a catalog service by id.
func (s *Store) GetService(ctx context.Context, id string) (CatalogService, error) {
	return queryOne(ctx, s.db, "service", id, scanService, "SELECT "+serviceColumns+" FROM service WHERE id = ?", id)
}

// ListServices returns catalog services, optionally of one type and/or name.
func (s *Store) ListServices(ctx context.Context, typ, name string) ([]CatalogService, error) {
	var w db.Where
	w.Eq("type", typ)
	w.Eq("name", name)
	return db.QueryAll(ctx, s.db, scanService, "SELECT "+serviceColumns+" FROM service"+w.String()+" ORDER BY type, name, id", w.Args...)
}

// UpdateService rewrites a catalog service.
func (s *Store) UpdateService(ctx context.Context, svc CatalogService) error {
	extra, err := encodeJSON(svc.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE service SET type = ?, name = ?, description = ?, enabled = ?, extra = ? WHERE id = ?",
			svc.Type, nullString(svc.Name), nullString(svc.Description), svc.Enabled, extra, svc.ID)
		return mustAffect(res, err, "service", svc.ID)
	})
}

// DeleteService removes a catalog service and its endpoints.
func (s *Store) DeleteService(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM endpoint WHERE service_id = ?", id); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "DELETE FROM service WHERE id = ?", id)
		return mustAffect(res, err, "service", id)
	})
}

const endpointColumns = "id, service_id, interface, url, region_id, enabled, extra"

func scanEndpoint(r db.Scanner) (Endpoint, error) {
	var e Endpoint
	var region, extra sql.NullString
	if err := r.Scan(&e.ID, &e.ServiceID, &e.Interface, &e.URL, &region, &e.Enabled, &extra); err != nil {
		return e, err
	}
	e.RegionID = region.String
	var err error
	e.Extra, err = decodeJSON(extra)
	return e, err
}

// EndpointFilter selects endpoints; empty fields match all.
type EndpointFilter struct {
	ServiceID string
	Interface string
	RegionID  string
}

// CreateEndpoint stores an endpoint.
func (s *Store) CreateEndpoint(ctx context.Context, e Endpoint) error {
	extra, err := encodeJSON(e.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO endpoint ("+endpointColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			e.ID, e.ServiceID, e.Interface, e.URL, nullString(e.RegionID), e.Enabled, extra)
		return conflict(err, "endpoint", "Duplicate ID, "+e.ID)
	})
}

// GetEndpoint returns an endpoint by id.
func (s *Store) GetEndpoint(ctx context.Context, id string) (Endpoint, error) {
	return queryOne(ctx, s.db, "endpoint", id, scanEndpoint, "SELECT "+endpointColumns+" FROM endpoint WHERE id = ?", id)
}

// ListEndpoints returns the endpoints that match f.
func (s *Store) ListEndpoints(ctx context.Context, f EndpointFilter) ([]Endpoint, error) {
	var w db.Where
	w.Eq("service_id", f.ServiceID)
	w.Eq("interface", f.Interface)
	w.Eq("region_id", f.RegionID)
	return db.QueryAll(ctx, s.db, scanEndpoint, "SELECT "+endpointColumns+" FROM endpoint"+w.String()+" ORDER BY service_id, interface, id", w.Args...)
}

// UpdateEndpoint rewrites an endpoint.
func (s *Store) UpdateEndpoint(ctx context.Context, e Endpoint) error {
	extra, err := encodeJSON(e.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE endpoint SET service_id = ?, interface = ?, url = ?, region_id = ?, enabled = ?, extra = ? WHERE id = ?",
			e.ServiceID, e.Interface, e.URL, nullString(e.RegionID), e.Enabled, extra, e.ID)
		return mustAffect(res, err, "endpoint", e.ID)
	})
}

// DeleteEndpoint removes an endpoint.
func (s *Store) DeleteEndpoint(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM endpoint WHERE id = ?", id)
		return mustAffect(res, err, "endpoint", id)
	})
}

const regionColumns = "id, description, parent_region_id, extra"

func scanRegion(r db.Scanner) (Region, error) {
	var reg Region
	var desc, parent, extra sql.NullString
	if err := r.Scan(&reg.ID, &desc, &parent, &extra); err != nil {
		return reg, err
	}
	reg.Description, reg.ParentRegionID = desc.String, parent.String
	var err error
	reg.Extra, err = decodeJSON(extra)
	return reg, err
}

// CreateRegion stores a region.
func (s *Store) CreateRegion(ctx context.Context, r Region) error {
	extra, err := encodeJSON(r.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO region ("+regionColumns+") VALUES (?, ?, ?, ?)",
			r.ID, nullString(r.Description), nullString(r.ParentRegionID), extra)
		return conflict(err, "region", "Duplicate ID, "+r.ID)
	})
}

// GetRegion returns a region by id.
func (s *Store) GetRegion(ctx context.Context, id string) (Region, error) {
	return queryOne(ctx, s.db, "region", id, scanRegion, "SELECT "+regionColumns+" FROM region WHERE id = ?", id)
}

// ListRegions returns regions, optionally the children of one parent.
func (s *Store) ListRegions(ctx context.Context, parentID string) ([]Region, error) {
	var w db.Where
	w.Eq("parent_region_id", parentID)
	return db.QueryAll(ctx, s.db, scanRegion, "SELECT "+regionColumns+" FROM region"+w.String()+" ORDER BY id", w.Args...)
}

// UpdateRegion rewrites a region.
func (s *Store) UpdateRegion(ctx context.Context, r Region) error {
	extra, err := encodeJSON(r.Extra)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE region SET description = ?, parent_region_id = ?, extra = ? WHERE id = ?",
			nullString(r.Description), nullString(r.ParentRegionID), extra, r.ID)
		return mustAffect(res, err, "region", r.ID)
	})
}

// DeleteRegion removes a region and its child regions, as Keystone does, unless any of them
// has endpoints.
func (s *Store) DeleteRegion(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *db.Tx) error {
		if _, err := queryOne(ctx, tx, "region", id, scanRegion, "SELECT "+regionColumns+" FROM region WHERE id = ?", id); err != nil {
			return err
		}
		tree, err := regionSubtree(ctx, tx, id)
		if err != nil {
			return err
		}
		in := "(" + placeholders(len(tree)) + ")"
		busy, err := db.Exists(ctx, tx, "SELECT 1 FROM endpoint WHERE region_id IN "+in, stringArgs(tree)...)
		if err != nil {
			return err
		}
		if busy {
			return &ForbiddenError{Message: "Unable to delete region " + id + " because it or its child regions have associated endpoints."}
		}
		_, err = tx.Exec(ctx, "DELETE FROM region WHERE id IN "+in, stringArgs(tree)...)
		return err
	})
}

// regionSubtree returns a region's id with the ids of all its descendants.
func regionSubtree(ctx context.Context, tx *db.Tx, id string) ([]string, error) {
	tree := []string{id}
	seen := map[string]bool{id: true}
	for i := 0; i < len(tree); i++ {
		children, err := db.QueryStrings(ctx, tx, "SELECT id FROM region WHERE parent_region_id = ?", tree[i])
		if err != nil {
			return nil, err
		}
		for _, c := range children {
			if !seen[c] {
				seen[c] = true
				tree = append(tree, c)
			}
		}
	}
	return tree, nil
}
