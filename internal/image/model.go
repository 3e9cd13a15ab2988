package image

import (
	"fmt"
	"slices"
	"time"

	"github.com/gostack/gostack/internal/image/store"
)

// Image statuses, as Glance has them.
const (
	StatusQueued      = "queued"      // created, no data yet
	StatusSaving      = "saving"      // data is being uploaded
	StatusUploading   = "uploading"   // data is being staged for an import
	StatusImporting   = "importing"   // staged data is being imported
	StatusActive      = "active"      // data is stored and usable
	StatusDeactivated = "deactivated" // data download is refused to non-admins
	StatusKilled      = "killed"      // an upload failed for good
	StatusDeleted     = "deleted"
	StatusPending     = "pending_delete"
)

// transitions are the status changes the image service makes; anything else is a 409.
var transitions = map[string][]string{
	StatusQueued:      {StatusSaving, StatusUploading, StatusActive},
	StatusSaving:      {StatusActive, StatusQueued, StatusKilled},
	StatusUploading:   {StatusImporting, StatusQueued},
	StatusImporting:   {StatusActive, StatusQueued},
	StatusActive:      {StatusDeactivated},
	StatusDeactivated: {StatusActive},
}

// canTransition reports whether an image may go from one status to another.
func canTransition(from, to string) bool { return slices.Contains(transitions[from], to) }

// transitionError is the 409 for a status change the state machine does not allow.
func transitionError(from, to string) error {
	return &ConflictError{Message: fmt.Sprintf("Image status transition from %s to %s is not allowed", from, to)}
}

// Visibilities an image may have.
var visibilities = []string{"public", "private", "shared", "community"}

// Member statuses.
const (
	MemberPending  = "pending"
	MemberAccepted = "accepted"
	MemberRejected = "rejected"
)

var memberStatuses = []string{MemberPending, MemberAccepted, MemberRejected}

// Image is one image record.
type Image struct {
	ID              string
	Name            *string // nil: no name (JSON null)
	Status          string
	Visibility      string
	Protected       bool
	Hidden          bool // os_hidden
	Owner           string
	Size            *int64
	VirtualSize     *int64
	Checksum        string // md5, "" until data is stored
	HashAlgo        string
	HashValue       string
	DiskFormat      string // "" = unset
	ContainerFormat string
	MinDisk         int
	MinRAM          int
	StagedSize      *int64 // bytes staged for an import, nil when nothing is staged
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Properties      map[string]string
	Tags            []string
	Locations       []store.Location
}

// clone returns a deep copy of the image, so updates can be prepared without touching the original.
func (img Image) clone() Image {
	cp := img
	if img.Name != nil {
		n := *img.Name
		cp.Name = &n
	}
	cp.Properties = make(map[string]string, len(img.Properties))
	for k, v := range img.Properties {
		cp.Properties[k] = v
	}
	cp.Tags = slices.Clone(img.Tags)
	cp.Locations = slices.Clone(img.Locations)
	return cp
}

// Member is a project an image is shared with.
type Member struct {
	ImageID   string
	MemberID  string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NotFoundError is a missing image or member (404).
type NotFoundError struct{ Message string }

func (e *NotFoundError) Error() string { return e.Message }

// ConflictError is a request that conflicts with the current state (409).
type ConflictError struct{ Message string }

func (e *ConflictError) Error() string { return e.Message }

// imageNotFound is the 404 for an image id.
func imageNotFound(id string) error {
	return &NotFoundError{Message: fmt.Sprintf("No image found with ID %s", id)}
}
