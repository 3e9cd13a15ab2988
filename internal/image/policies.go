package image

import "github.com/gostack/gostack/internal/platform/policy"

// Check strings of Glance's defaults (2023.2 onwards, new defaults enforced). In targets,
// project_id is the image's owner and member_id the caller's project when the image is
// shared with it.
const (
	adminOrMember    = "role:admin or (role:member and project_id:%(project_id)s)"
	adminOrReader    = "role:admin or (role:reader and project_id:%(project_id)s)"
	adminOrReaderGet = `role:admin or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s or 'community':%(visibility)s or 'public':%(visibility)s))`
	adminOrSharedGet = "role:admin or (role:reader and (project_id:%(project_id)s or project_id:%(member_id)s))"
)

func imageRule(name, check, description, method, path string) policy.Rule {
	return policy.Rule{Name: name, Check: check, Description: description,
		Operations: []policy.Operation{{Method: method, Path: path}}, ScopeTypes: []string{"project"}}
}

// Policies returns the image service's default policy rules, under Glance's names.
func Policies() []policy.Rule {
	return []policy.Rule{
		{Name: "context_is_admin", Check: "role:admin", Description: "Acts as an image administrator."},
		imageRule("add_image", "role:admin or (role:member and project_id:%(project_id)s and project_id:%(owner)s)",
			"Create an image (for the caller's own project).", "POST", "/v2/images"),
		imageRule("get_image", adminOrReaderGet, "Show an image.", "GET", "/v2/images/{image_id}"),
		imageRule("get_images", adminOrReader, "List images.", "GET", "/v2/images"),
		imageRule("modify_image", adminOrMember, "Update an image, its tags and its properties.", "PATCH", "/v2/images/{image_id}"),
		imageRule("publicize_image", "role:admin", "Make an image public.", "PATCH", "/v2/images/{image_id}"),
		imageRule("communitize_image", adminOrMember, "Make an image a community image.", "PATCH", "/v2/images/{image_id}"),
		imageRule("delete_image", adminOrMember, "Delete an image.", "DELETE", "/v2/images/{image_id}"),
		imageRule("upload_image", adminOrMember, "Upload or stage image data, or import it.", "PUT", "/v2/images/{image_id}/file"),
		imageRule("download_image", adminOrReaderGet, "Download image data.", "GET", "/v2/images/{image_id}/file"),
		imageRule("deactivate", "role:admin", "Deactivate an image.", "POST", "/v2/images/{image_id}/actions/deactivate"),
		imageRule("reactivate", "role:admin", "Reactivate an image.", "POST", "/v2/images/{image_id}/actions/reactivate"),
		imageRule("get_image_location", adminOrReader, "Show an image's locations.", "GET", "/v2/images/{image_id}"),
		imageRule("add_member", adminOrMember, "Share an image with a project.", "POST", "/v2/images/{image_id}/members"),
		imageRule("delete_member", adminOrMember, "Stop sharing an image with a project.", "DELETE", "/v2/images/{image_id}/members/{member_id}"),
		imageRule("get_member", adminOrSharedGet, "Show an image member.", "GET", "/v2/images/{image_id}/members/{member_id}"),
		imageRule("get_members", adminOrSharedGet, "List an image's members.", "GET", "/v2/images/{image_id}/members"),
		imageRule("modify_member", "role:admin or (role:member and project_id:%(member_id)s)",
			"Accept or reject an image shared with the caller's project.", "PUT", "/v2/images/{image_id}/members/{member_id}"),
		imageRule("stores_info_detail", "role:admin", "Show the stores' details.", "GET", "/v2/info/stores/detail"),
	}
}
