package network

import (
	"fmt"
	"time"
)

// Standard are the attributes every Neutron resource has.
type Standard struct {
	ID          string    `json:"-"`
	ProjectID   string    `json:"-"`
	Name        string    `json:"-"`
	Description string    `json:"-"`
	Tags        []string  `json:"-"`
	CreatedAt   time.Time `json:"-"`
	UpdatedAt   time.Time `json:"-"`
	Revision    int64     `json:"-"`
}

// Segment is how a network is carried: its ML2 type and ids.
type Segment struct {
	ID              string `json:"id"`
	NetworkType     string `json:"network_type"`
	PhysicalNetwork string `json:"physical_network,omitempty"`
	SegmentationID  int    `json:"segmentation_id,omitempty"`
}

// Network is a Neutron network. Indexed attributes are columns; the rest is the JSON document.
type Network struct {
	Standard
	Status       string    `json:"-"`
	AdminStateUp bool      `json:"-"`
	Shared       bool      `json:"-"`
	External     bool      `json:"-"`
	MTU          int       `json:"-"`
	PortSecurity bool      `json:"port_security_enabled"`
	AZHints      []string  `json:"availability_zone_hints"`
	IsDefault    bool      `json:"is_default"`
	DNSDomain    string    `json:"dns_domain,omitempty"`
	Segments     []Segment `json:"-"` // from net_segment
	Subnets      []string  `json:"-"` // ids, from net_subnet
}

// Network statuses.
const (
	StatusActive = "ACTIVE"
	StatusDown   = "DOWN"
	StatusBuild  = "BUILD"
	StatusError  = "ERROR"
)

// NotFoundError is a missing resource (404), with Neutron's error type such as NetworkNotFound.
type NotFoundError struct {
	Kind string // "Network", "Subnet", "Port" …
	ID   string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s %s could not be found.", e.Kind, e.ID)
}

// ConflictError is a request that conflicts with the current state (409), with Neutron's
// error type (NetworkInUse, IpAddressGenerationFailure, MacAddressInUse …).
type ConflictError struct {
	Type    string
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

// BadRequestError is invalid input (400) with Neutron's error type (InvalidInput by default).
type BadRequestError struct {
	Type    string
	Message string
}

func (e *BadRequestError) Error() string { return e.Message }

// invalid is the 400 for a bad value.
func invalid(format string, args ...any) error {
	return &BadRequestError{Type: "InvalidInput", Message: "Invalid input for operation: " + fmt.Sprintf(format, args...)}
}
