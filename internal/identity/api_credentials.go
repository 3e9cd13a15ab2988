package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

func (s *Service) credentialRoutes() []route {
	return []route{
		{"GET /v3/credentials", s.listCredentials},
		{"POST /v3/credentials", s.createCredential},
		{"GET /v3/credentials/{id}", s.getCredential},
		{"PATCH /v3/credentials/{id}", s.updateCredential},
		{"DELETE /v3/credentials/{id}", s.deleteCredential},
	}
}

// ec2Type is the credential type whose id is derived from its access key.
const ec2Type = "ec2"

// ec2ScopeKeys are the blob fields that tie an ec2 credential to a delegation; an update may not
// change them, as in Keystone.
var ec2ScopeKeys = []string{"trust_id", "app_cred_id", "access_token_id", "access_id"}

var credentialFields = []string{"id", "user_id", "project_id", "type", "blob"}

func (s *Service) credentialView(r *http.Request, c Credential) map[string]any {
	return withExtra(map[string]any{
		"id": c.ID, "user_id": c.UserID, "project_id": nullable(c.ProjectID), "type": c.Type,
		"blob": c.Blob, "links": s.selfLink(r, "/v3/credentials/"+c.ID),
	}, c.Extra)
}

func credentialTarget(c Credential) map[string]string {
	return map[string]string{
		"target.credential.id": c.ID, "target.credential.user_id": c.UserID,
		"target.credential.project_id": c.ProjectID, "target.credential.type": c.Type,
	}
}

func isEC2(c Credential) bool { return strings.EqualFold(c.Type, ec2Type) }

// openCredential decrypts a stored credential's blob.
func (s *Service) openCredential(c Credential) (Credential, error) {
	plain, err := s.credKeys.Decrypt(c.Blob)
	if err != nil {
		return c, fmt.Errorf("decrypt credential %s: %w", c.ID, err)
	}
	c.Blob = string(plain)
	return c, nil
}

// sealCredential returns the credential with its blob encrypted for storage.
func (s *Service) sealCredential(c Credential) (Credential, error) {
	sealed, err := s.credKeys.Encrypt([]byte(c.Blob))
	if err != nil {
		return c, fmt.Errorf("encrypt credential %s: %w", c.ID, err)
	}
	c.Blob = sealed
	return c, nil
}

// loadCredential returns the path's credential, decrypted, once the caller may act on it by rule.
func (s *Service) loadCredential(r *http.Request, rule string) (Credential, error) {
	c, err := s.store.GetCredential(r.Context(), r.PathValue("id"))
	if err != nil {
		return c, err
	}
	if err := s.enforce(r, rule, credentialTarget(c)); err != nil {
		return c, err
	}
	return s.openCredential(c)
}

func (s *Service) getCredential(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadCredential(r, "identity:get_credential")
	if err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "credential", s.credentialView(r, c))
	return nil
}

// listCredentials lists the credentials the caller may see, as Keystone does: the list rule is
// checked against the caller's own credentials, then each credential against the get rule.
func (s *Service) listCredentials(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	var target map[string]string
	if !c.System {
		target = map[string]string{"target.credential.user_id": c.UserID}
	}
	if err := s.enforce(r, "identity:list_credentials", target); err != nil {
		return err
	}
	q := r.URL.Query()
	stored, err := s.store.ListCredentials(r.Context(), q.Get("user_id"), q.Get("type"))
	if err != nil {
		return err
	}
	creds := []Credential{}
	for _, cred := range stored {
		if !s.policy.Allowed("identity:get_credential", credentialTarget(cred), c.Credentials()) {
			continue
		}
		if cred, err = s.openCredential(cred); err != nil {
			return err
		}
		creds = append(creds, cred)
	}
	writeRendered(s, w, r, "credentials", creds, s.credentialView)
	return nil
}

func (s *Service) createCredential(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "credential")
	if err != nil {
		return err
	}
	c := Credential{}
	applyCredentialAttrs(a, &c, true)
	c.Extra = a.extra(credentialFields...)
	if a.err != nil {
		return a.err
	}
	if err := s.enforce(r, "identity:create_credential", credentialTarget(c)); err != nil {
		return err
	}
	if err := s.assignCredentialID(r, &c); err != nil {
		return err
	}
	sealed, err := s.sealCredential(c)
	if err != nil {
		return err
	}
	if err := s.store.CreateCredential(r.Context(), sealed); err != nil {
		return err
	}
	s.writeMember(w, http.StatusCreated, "credential", s.credentialView(r, c))
	return nil
}

// applyCredentialAttrs reads the credential attributes a body sets; user_id, type and blob are
// required on create.
func applyCredentialAttrs(a *attrs, c *Credential, create bool) {
	if create || a.has("user_id") {
		c.UserID = a.name("user_id", true, 64)
	}
	if a.has("project_id") {
		c.ProjectID = a.str("project_id", true)
	}
	if create || a.has("type") {
		c.Type = a.name("type", true, maxCatalogString)
	}
	if create && !a.has("blob") {
		a.fail("blob", "this field is required.")
	}
	if a.has("blob") {
		c.Blob = a.str("blob", false)
	}
}

// assignCredentialID gives a new credential its id: for ec2, the sha256 of its access key (with
// the caller's application credential recorded in the blob, as Keystone does); else a new id.
func (s *Service) assignCredentialID(r *http.Request, c *Credential) error {
	if !isEC2(*c) {
		c.ID = newID()
		return nil
	}
	if c.ProjectID == "" {
		return invalidf("Invalid input for field 'credential.project_id': an ec2 credential requires a project_id.")
	}
	blob, err := ec2Blob(c.Blob)
	if err != nil {
		return err
	}
	c.ID = ec2CredentialID(blob["access"].(string))
	if appCred := caller(r).ApplicationCredentialID; appCred != "" {
		blob["app_cred_id"] = appCred
		data, err := json.Marshal(blob)
		if err != nil {
			return fmt.Errorf("encode ec2 credential blob: %w", err)
		}
		c.Blob = string(data)
	}
	return nil
}

// ec2Blob parses an ec2 credential's blob: a JSON object with a string "access" key.
func ec2Blob(text string) (map[string]any, error) {
	var blob map[string]any
	if err := json.Unmarshal([]byte(text), &blob); err != nil || blob == nil {
		return nil, invalidf("Invalid input for field 'credential.blob': an ec2 blob must be a JSON object.")
	}
	if access, ok := blob["access"].(string); !ok || access == "" {
		return nil, invalidf("Invalid input for field 'credential.blob': an ec2 blob needs an 'access' key.")
	}
	return blob, nil
}

// ec2CredentialID is the id Keystone gives an ec2 credential: the sha256 hex of its access key.
func ec2CredentialID(access string) string {
	sum := sha256.Sum256([]byte(access))
	return hex.EncodeToString(sum[:])
}

func (s *Service) updateCredential(w http.ResponseWriter, r *http.Request) error {
	a, err := decodeEntity(r, "credential")
	if err != nil {
		return err
	}
	current, err := s.loadCredential(r, "identity:update_credential")
	if err != nil {
		return err
	}
	if err := checkUpdate(a, current.ID); err != nil {
		return err
	}
	c := current
	applyCredentialAttrs(a, &c, false)
	c.Extra = mergeExtra(current.Extra, a.extra(credentialFields...))
	if a.err != nil {
		return a.err
	}
	if err := checkEC2Update(current, c); err != nil {
		return err
	}
	// The owner or scope may only change to one the caller could also manage.
	if err := s.enforce(r, "identity:update_credential", credentialTarget(c)); err != nil {
		return err
	}
	if err := s.saveCredential(r.Context(), c); err != nil {
		return err
	}
	s.writeMember(w, http.StatusOK, "credential", s.credentialView(r, c))
	return nil
}

// checkEC2Update validates an update that leaves an ec2 credential: it needs a project and a
// blob with an access key, and the blob's delegation keys cannot change.
func checkEC2Update(old, updated Credential) error {
	if !isEC2(updated) {
		return nil
	}
	if updated.ProjectID == "" {
		return invalidf("Invalid input for field 'credential.project_id': an ec2 credential requires a project_id.")
	}
	blob, err := ec2Blob(updated.Blob)
	if err != nil || !isEC2(old) || old.Blob == updated.Blob {
		return err
	}
	oldBlob, _ := ec2Blob(old.Blob)
	for _, key := range ec2ScopeKeys {
		if fmt.Sprint(oldBlob[key]) != fmt.Sprint(blob[key]) {
			return invalidf("Invalid input for field 'credential.blob': %s can not be updated for credential.", key)
		}
	}
	return nil
}

// saveCredential encrypts and stores an updated credential.
func (s *Service) saveCredential(ctx context.Context, c Credential) error {
	sealed, err := s.sealCredential(c)
	if err != nil {
		return err
	}
	return s.store.UpdateCredential(ctx, sealed)
}

func (s *Service) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	c, err := s.store.GetCredential(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.enforce(r, "identity:delete_credential", credentialTarget(c)); err != nil {
		return err
	}
	if err := s.store.DeleteCredential(r.Context(), c.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
