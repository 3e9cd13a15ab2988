// Package store keeps image data for the image service (Glance) in stores
// chosen the way glance_store chooses them: a legacy single-store setup
// ([glance_store] stores and default_store) or named backends
// (enabled_backends = name:type with [glance_store] default_backend and one
// section per backend).
//
// Every store is a Driver behind one streaming interface, registered by type
// name ("file", "http"; later "rbd", "swift"). Nothing in this package holds a
// whole image in memory, and an interrupted upload — a reader error, a
// cancelled context or a size limit reached — leaves no data behind.
//
// A Location is what Glance calls an image location: a URL such as
// file:///var/lib/gostack/images/<id>, http://host/image.qcow2 or, for the
// Ceph store, rbd://<fsid>/<pool>/<image>/<snap>, plus driver metadata. Its URL
// is what show_image_direct_url reports as direct_url and what
// show_multiple_locations reports in locations, so block storage and compute
// can recognise an rbd:// location and clone it copy-on-write.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"sync"
)

// Errors drivers wrap, so callers can tell the cases apart with errors.Is and
// map them to HTTP statuses in one place.
var (
	// ErrNotFound: the location holds no data (Glance NotFound, 404).
	ErrNotFound = errors.New("image data not found")
	// ErrSizeLimit: the data is larger than allowed (Glance 413).
	ErrSizeLimit = errors.New("image data exceeds the size limit")
	// ErrReadOnly: the store does not accept writes or deletes (Glance 403/405).
	ErrReadOnly = errors.New("store is read-only")
	// ErrExists: data for the image is already stored (Glance Duplicate, 409).
	ErrExists = errors.New("image data already exists")
	// ErrStorageFull: the store ran out of space (Glance StorageFull, 413).
	ErrStorageFull = errors.New("store is full")
	// ErrWriteDenied: the store refused the write (Glance StorageWriteDenied, 503).
	ErrWriteDenied = errors.New("store denied write access")
	// ErrBadLocation: the location is malformed or belongs to another store.
	ErrBadLocation = errors.New("invalid image location")
	// ErrRange: the requested range starts beyond the end of the data (416).
	ErrRange = errors.New("requested range not satisfiable")
)

// Location is where a store keeps an image: a URL (file:///…, http://…, later
// rbd://fsid/pool/image/snap) and driver metadata, as Glance's image locations.
// Backend.Add sets Metadata["store"] to the backend's name, as multi-store
// Glance does.
type Location struct {
	URL      string         `json:"url"`
	Metadata map[string]any `json:"metadata"`
}

// Driver is one store.
type Driver interface {
	// Type returns the driver's type name, such as "file" or "http".
	Type() string
	// Add streams r into a new object for imageID and returns its location and
	// size. maxSize < 0 means no limit; going over it returns ErrSizeLimit and
	// removes everything written, as does any other error.
	Add(ctx context.Context, imageID string, r io.Reader, maxSize int64) (Location, int64, error)
	// Get streams the data from offset for length bytes (length < 0 = to the
	// end; a range past the end is shortened) and reports the total size of
	// the object, or -1 when the store cannot tell.
	Get(ctx context.Context, loc Location, offset, length int64) (io.ReadCloser, int64, error)
	// Delete removes the data; ErrNotFound when it is already gone.
	Delete(ctx context.Context, loc Location) error
	// ReadOnly reports whether Add and Delete always fail with ErrReadOnly.
	ReadOnly() bool
	// Owns reports whether a location URL belongs to this store.
	Owns(url string) bool
}

// Backend is a named, configured store.
type Backend struct {
	Name        string // backend name: the enabled_backends key, or the type in legacy setups
	Description string // store_description, shown by GET /v2/info/stores
	Driver
}

// Add stores the data with the driver and records the backend's name in the
// location's metadata under "store".
func (b Backend) Add(ctx context.Context, imageID string, r io.Reader, maxSize int64) (Location, int64, error) {
	loc, n, err := b.Driver.Add(ctx, imageID, r, maxSize)
	if err != nil {
		return Location{}, 0, fmt.Errorf("store %q: %w", b.Name, err)
	}
	if loc.Metadata == nil {
		loc.Metadata = map[string]any{}
	}
	loc.Metadata["store"] = b.Name
	return loc, n, nil
}

// Stores holds the configured backends and the default one.
type Stores struct {
	backends []Backend // sorted by name
	byName   map[string]Backend
	def      string
}

// New returns the stores made of backends, with def as the default backend
// (the one new images go to). Names must be unique and non-empty.
func New(backends []Backend, def string) (*Stores, error) {
	s := &Stores{byName: map[string]Backend{}, def: def}
	for _, b := range backends {
		if b.Name == "" || b.Driver == nil {
			return nil, fmt.Errorf("store: backend %q: name and driver are required", b.Name)
		}
		if _, dup := s.byName[b.Name]; dup {
			return nil, fmt.Errorf("store: duplicate backend name %q", b.Name)
		}
		s.byName[b.Name] = b
		s.backends = append(s.backends, b)
	}
	if _, ok := s.byName[def]; !ok {
		return nil, fmt.Errorf("store: default backend %q is not one of the configured backends %v", def, s.names())
	}
	sort.Slice(s.backends, func(i, j int) bool { return s.backends[i].Name < s.backends[j].Name })
	return s, nil
}

func (s *Stores) names() []string { return slices.Sorted(maps.Keys(s.byName)) }

// Default returns the default backend.
func (s *Stores) Default() Backend { return s.byName[s.def] }

// Get returns the backend of that name.
func (s *Stores) Get(name string) (Backend, bool) {
	b, ok := s.byName[name]
	return b, ok
}

// Backends returns every backend, sorted by name (for GET /v2/info/stores).
func (s *Stores) Backends() []Backend { return slices.Clone(s.backends) }

// ForLocation returns the backend that owns a location URL, preferring the
// default backend when several could serve it.
func (s *Stores) ForLocation(url string) (Backend, bool) {
	if d := s.Default(); d.Owns(url) {
		return d, true
	}
	for _, b := range s.backends {
		if b.Owns(url) {
			return b, true
		}
	}
	return Backend{}, false
}

// Params are what a driver is built from.
type Params struct {
	Name     string            // backend name
	Options  map[string]string // the driver's options (Factory.Opts names) as text; "" = unset
	StateDir string            // gostack's state dir, for defaults such as the file data dir
}

// Factory makes drivers of one type.
type Factory struct {
	// New builds a driver.
	New func(p Params) (Driver, error)
	// Opts are the driver's options, registered in [glance_store] for legacy
	// setups and in each backend's section for enabled_backends. Only String,
	// Int and Bool options are supported.
	Opts []OptSpec
}

// OptSpec describes one driver option: its name, default text and help.
type OptSpec struct {
	Name    string
	Default string
	Help    string
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a driver type available by name. It panics if the name is
// taken or the factory has no New function (programmer errors).
func Register(typ string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[typ]; dup || f.New == nil || typ == "" {
		panic(fmt.Sprintf("store: Register %q: duplicate or invalid factory", typ))
	}
	registry[typ] = f
}

// Types returns the registered driver type names, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return slices.Sorted(maps.Keys(registry))
}

func factory(typ string) (Factory, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	f, ok := registry[typ]
	if !ok {
		return Factory{}, fmt.Errorf("store: unknown store type %q (known: %v)", typ, slices.Sorted(maps.Keys(registry)))
	}
	return f, nil
}

// BackendConfig is one backend as plain values.
type BackendConfig struct {
	Name        string
	Type        string
	Description string
	Options     map[string]string
}

// Open builds the stores from plain values: each backend through its type's
// factory, with def as the default backend.
func Open(cfgs []BackendConfig, def, stateDir string) (*Stores, error) {
	backends := make([]Backend, 0, len(cfgs))
	for _, c := range cfgs {
		f, err := factory(c.Type)
		if err != nil {
			return nil, fmt.Errorf("backend %q: %w", c.Name, err)
		}
		d, err := f.New(Params{Name: c.Name, Options: maps.Clone(c.Options), StateDir: stateDir})
		if err != nil {
			return nil, fmt.Errorf("store: backend %q (%s): %w", c.Name, c.Type, err)
		}
		backends = append(backends, Backend{Name: c.Name, Description: c.Description, Driver: d})
	}
	return New(backends, def)
}

// ctxReader stops reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
