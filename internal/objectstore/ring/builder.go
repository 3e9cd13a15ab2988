// Package ring implements Swift-style rings for gostack's object storage
// (the OpenStack Swift ring): a Builder that assigns every partition's
// replicas to weighted devices spread across regions, zones and hosts, and
// a compact Ring that proxies and storage nodes load to map an
// account/container/object path to its partition, primary devices and
// handoff devices.
//
// Differences from Swift: replica counts are whole numbers (≥ 1), there is
// no overload setting (weight always wins over dispersion, as in Swift with
// overload 0), and files use gostack's own JSON/binary formats.
package ring

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strings"
	"time"
)

// Limits on builder parameters.
const (
	// MaxPartPower is the largest supported partition power.
	MaxPartPower = 32
	// MaxReplicas is the largest supported replica count.
	MaxReplicas = 255
	// MaxDevices is the number of device ids a ring can address.
	MaxDevices = math.MaxUint16 // id 0xFFFF is reserved for "unassigned"
	// maxPartHours is the ceiling of per-partition "hours since moved".
	maxPartHours = math.MaxUint8
)

// noDev marks an unassigned replica slot in the partition table.
const noDev = math.MaxUint16

// ErrNotFound is returned when a device id does not exist.
var ErrNotFound = errors.New("device not found")

// Device is one storage device (a disk on a storage node) in a ring.
type Device struct {
	// ID is the device id, assigned by the builder and unique in the ring.
	ID int `json:"id"`
	// Region and Zone are the failure domains the device belongs to.
	Region int `json:"region"`
	Zone   int `json:"zone"`
	// IP and Port locate the storage server that owns the device.
	IP   string `json:"ip"`
	Port int    `json:"port"`
	// ReplicationIP and ReplicationPort carry replication traffic; they
	// default to IP and Port.
	ReplicationIP   string `json:"replication_ip"`
	ReplicationPort int    `json:"replication_port"`
	// Name is the device's directory name on its server, e.g. "sdb1".
	Name string `json:"device"`
	// Weight is the relative amount of partitions the device should hold.
	Weight float64 `json:"weight"`
	// Meta is free-form operator text.
	Meta string `json:"meta"`
}

// String renders the device in swift-ring-builder search syntax.
func (d Device) String() string {
	return fmt.Sprintf("d%dr%dz%d-%s:%d/%s", d.ID, d.Region, d.Zone, hostPort(d.IP), d.Port, d.Name)
}

// hostPort brackets IPv6 addresses.
func hostPort(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}

// validate checks the fields an operator supplies.
func (d *Device) validate() error {
	switch {
	case d.Region < 0 || d.Zone < 0:
		return fmt.Errorf("device %s: region and zone must be >= 0", d.Name)
	case d.IP == "":
		return errors.New("device: ip is required")
	case strings.ContainsAny(d.IP, " /[]"):
		return fmt.Errorf("device: invalid ip or host %q", d.IP)
	case d.Port < 1 || d.Port > 65535:
		return fmt.Errorf("device %s: port %d out of range 1..65535", d.Name, d.Port)
	case d.ReplicationPort < 0 || d.ReplicationPort > 65535:
		return fmt.Errorf("device %s: replication port %d out of range", d.Name, d.ReplicationPort)
	case d.Name == "" || d.Name == "." || d.Name == ".." || strings.ContainsAny(d.Name, "/ "):
		return fmt.Errorf("device: invalid device name %q (a directory name without '/' or spaces)", d.Name)
	}
	return validateWeight(d.Weight)
}

func validateWeight(w float64) error {
	if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return fmt.Errorf("invalid weight %v: must be a finite number >= 0", w)
	}
	return nil
}

// sameEndpoint reports whether two devices are the same ip:port/device.
func sameEndpoint(a, b *Device) bool {
	return a.Port == b.Port && a.Name == b.Name && normIP(a.IP) == normIP(b.IP)
}

func normIP(s string) string {
	if ip := net.ParseIP(s); ip != nil {
		return ip.String()
	}
	return strings.ToLower(s)
}

// Builder holds the editable state of a ring: its parameters, devices and
// the current partition assignment. It is not safe for concurrent use.
type Builder struct {
	partPower    int
	replicas     int
	minPartHours int
	version      int

	devs       []*Device    // indexed by id; nil for free ids
	removing   map[int]bool // ids removed, dropped at next rebalance
	r2p2d      [][]uint16   // replica -> partition -> device id; nil until first rebalance
	lastMoves  []uint8      // partition -> hours since last move
	movesEpoch int64        // unix seconds at which lastMoves was current

	now func() time.Time
}

// NewBuilder returns an empty builder for 2^partPower partitions, each with
// the given number of replicas, where a partition is not moved again within
// minPartHours of its last move.
func NewBuilder(partPower, replicas, minPartHours int) (*Builder, error) {
	if partPower < 1 || partPower > MaxPartPower {
		return nil, fmt.Errorf("part power %d out of range 1..%d", partPower, MaxPartPower)
	}
	if replicas < 1 || replicas > MaxReplicas {
		return nil, fmt.Errorf("replicas %d out of range 1..%d (fractional replicas are not supported)", replicas, MaxReplicas)
	}
	if minPartHours < 0 || minPartHours > maxPartHours {
		return nil, fmt.Errorf("min_part_hours %d out of range 0..%d", minPartHours, maxPartHours)
	}
	return &Builder{
		partPower:    partPower,
		replicas:     replicas,
		minPartHours: minPartHours,
		removing:     map[int]bool{},
		now:          time.Now,
	}, nil
}

// PartPower returns the partition power.
func (b *Builder) PartPower() int { return b.partPower }

// Replicas returns the replica count.
func (b *Builder) Replicas() int { return b.replicas }

// MinPartHours returns the minimum hours between moves of one partition.
func (b *Builder) MinPartHours() int { return b.minPartHours }

// Version counts the changes made to the builder.
func (b *Builder) Version() int { return b.version }

// partCount is 2^partPower.
func (b *Builder) partCount() int { return 1 << b.partPower }

// SetMinPartHours changes the minimum hours between moves of one partition.
func (b *Builder) SetMinPartHours(hours int) error {
	if hours < 0 || hours > maxPartHours {
		return fmt.Errorf("min_part_hours %d out of range 0..%d", hours, maxPartHours)
	}
	b.minPartHours = hours
	b.version++
	return nil
}

// AddDevice adds a device and returns its id. d.ID is ignored: the lowest
// free id is used, as swift-ring-builder does. The device receives
// partitions at the next Rebalance.
func (b *Builder) AddDevice(d Device) (int, error) {
	if err := d.validate(); err != nil {
		return 0, err
	}
	if d.ReplicationIP == "" {
		d.ReplicationIP = d.IP
	}
	if d.ReplicationPort == 0 {
		d.ReplicationPort = d.Port
	}
	for _, o := range b.devs {
		if o != nil && sameEndpoint(o, &d) {
			return 0, fmt.Errorf("device %s:%d/%s already exists as id %d", hostPort(d.IP), d.Port, d.Name, o.ID)
		}
	}
	id := slices.Index(b.devs, nil)
	if id < 0 {
		id = len(b.devs)
		if id >= MaxDevices {
			return 0, fmt.Errorf("ring is full: at most %d devices", MaxDevices)
		}
		b.devs = append(b.devs, nil)
	}
	d.ID = id
	b.devs[id] = &d
	b.version++
	return id, nil
}

// device returns the live device with that id.
func (b *Builder) device(id int) (*Device, error) {
	if id < 0 || id >= len(b.devs) || b.devs[id] == nil {
		return nil, fmt.Errorf("device id %d: %w", id, ErrNotFound)
	}
	return b.devs[id], nil
}

// Device returns a copy of the device with that id.
func (b *Builder) Device(id int) (Device, error) {
	d, err := b.device(id)
	if err != nil {
		return Device{}, err
	}
	return *d, nil
}

// Devices returns copies of all devices, including ones pending removal,
// ordered by id.
func (b *Builder) Devices() []Device {
	out := make([]Device, 0, len(b.devs))
	for _, d := range b.devs {
		if d != nil {
			out = append(out, *d)
		}
	}
	return out
}

// SetWeight changes a device's weight; partitions follow at Rebalance.
func (b *Builder) SetWeight(id int, weight float64) error {
	d, err := b.device(id)
	if err != nil {
		return err
	}
	if err := validateWeight(weight); err != nil {
		return fmt.Errorf("device %d: %w", id, err)
	}
	if b.removing[id] && weight > 0 {
		return fmt.Errorf("device %d is being removed", id)
	}
	d.Weight = weight
	b.version++
	return nil
}

// SetInfo changes a device's address, replication address, name or meta
// (region, zone, id and weight are kept). The new ip:port/device must not
// clash with another device.
func (b *Builder) SetInfo(id int, ip string, port int, replIP string, replPort int, name, meta string) error {
	d, err := b.device(id)
	if err != nil {
		return err
	}
	nd := *d
	nd.IP, nd.Port, nd.ReplicationIP, nd.ReplicationPort, nd.Name, nd.Meta = ip, port, replIP, replPort, name, meta
	if err := nd.validate(); err != nil {
		return err
	}
	if nd.ReplicationIP == "" {
		nd.ReplicationIP = nd.IP
	}
	if nd.ReplicationPort == 0 {
		nd.ReplicationPort = nd.Port
	}
	for _, o := range b.devs {
		if o != nil && o.ID != id && sameEndpoint(o, &nd) {
			return fmt.Errorf("device %s:%d/%s already exists as id %d", hostPort(ip), port, name, o.ID)
		}
	}
	*d = nd
	b.version++
	return nil
}

// RemoveDevice sets the device's weight to 0 and marks it for removal: the
// next Rebalance moves all its partitions away (regardless of
// min_part_hours) and then deletes it.
func (b *Builder) RemoveDevice(id int) error {
	d, err := b.device(id)
	if err != nil {
		return err
	}
	d.Weight = 0
	b.removing[id] = true
	b.version++
	return nil
}

// PretendMinPartHoursPassed makes every partition movable at the next
// Rebalance, like swift-ring-builder pretend_min_part_hours_passed.
func (b *Builder) PretendMinPartHoursPassed() {
	for i := range b.lastMoves {
		b.lastMoves[i] = maxPartHours
	}
	b.version++
}

// weightedDevs returns live devices with weight > 0, ordered by id.
func (b *Builder) weightedDevs() []*Device {
	var out []*Device
	for _, d := range b.devs {
		if d != nil && d.Weight > 0 && !b.removing[d.ID] {
			out = append(out, d)
		}
	}
	return out
}

// Warnings lists conditions an operator should know about, such as fewer
// devices (or zones, regions) than replicas, like swift-ring-builder's
// warnings. They do not prevent a rebalance.
func (b *Builder) Warnings() []string {
	devs := b.weightedDevs()
	var warns []string
	if len(devs) == 0 {
		return []string{"no devices with weight > 0"}
	}
	if len(devs) < b.replicas {
		warns = append(warns, fmt.Sprintf("replicas (%d) exceed devices with weight (%d): some partitions will have several replicas on one device", b.replicas, len(devs)))
	}
	zones, regions := map[[2]int]bool{}, map[int]bool{}
	for _, d := range devs {
		zones[[2]int{d.Region, d.Zone}] = true
		regions[d.Region] = true
	}
	if len(zones) < b.replicas && len(devs) >= b.replicas {
		warns = append(warns, fmt.Sprintf("replicas (%d) exceed zones (%d): some partitions will have several replicas in one zone", b.replicas, len(zones)))
	}
	if b.partCount()*b.replicas < len(devs) {
		warns = append(warns, fmt.Sprintf("partitions x replicas (%d) is less than devices (%d): some devices will get no partitions", b.partCount()*b.replicas, len(devs)))
	}
	return warns
}
