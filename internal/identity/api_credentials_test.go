package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// credentialBody is a POST/PATCH /v3/credentials body.
func credentialBody(fields map[string]any) map[string]any {
	return map[string]any{"credential": fields}
}

func TestCredentialCRUD(t *testing.T) {
	e := newTestEnv(t)
	admin := e.boot.AdminUserID
	res := e.call("POST", "/v3/credentials", e.admin, credentialBody(map[string]any{
		"user_id": admin, "type": "cert", "blob": "-----BEGIN CERTIFICATE-----", "label": "x"})).must(t, http.StatusCreated)
	c := res.obj("credential")
	id := catStr(c, "id")
	if c["blob"] != "-----BEGIN CERTIFICATE-----" || c["user_id"] != admin || c["type"] != "cert" || c["project_id"] != nil || c["label"] != "x" ||
		!strings.HasSuffix(catStr(res.obj("credential", "links"), "self"), "/v3/credentials/"+id) {
		t.Fatalf("created: %v", c)
	}
	// The blob is encrypted at rest with the credential keys.
	stored, err := e.svc.Store().GetCredential(context.Background(), id)
	if err != nil || strings.Contains(stored.Blob, "CERTIFICATE") {
		t.Fatalf("stored blob %q (%v)", stored.Blob, err)
	}
	if plain, err := e.svc.credKeys.Decrypt(stored.Blob); err != nil || string(plain) != "-----BEGIN CERTIFICATE-----" {
		t.Fatalf("decrypt stored blob: %q %v", plain, err)
	}

	if got := e.call("GET", "/v3/credentials/"+id, e.admin, nil).must(t, http.StatusOK).obj("credential"); got["blob"] != "-----BEGIN CERTIFICATE-----" {
		t.Errorf("get: %v", got)
	}
	e.call("POST", "/v3/credentials", e.admin, credentialBody(map[string]any{"user_id": admin, "type": "totp", "blob": "secret"})).must(t, http.StatusCreated)
	filters := map[string]int{"": 2, "?type=cert": 1, "?user_id=" + admin: 2, "?user_id=nobody": 0, "?type=totp&user_id=" + admin: 1}
	for q, n := range filters {
		list := e.call("GET", "/v3/credentials"+q, e.admin, nil).must(t, http.StatusOK).list("credentials")
		if len(list) != n {
			t.Errorf("list %q: %d, want %d", q, len(list), n)
		}
	}
	upd := e.call("PATCH", "/v3/credentials/"+id, e.admin, credentialBody(map[string]any{
		"blob": "new blob", "project_id": e.boot.AdminProjectID, "label": nil})).must(t, http.StatusOK).obj("credential")
	if upd["blob"] != "new blob" || upd["project_id"] != e.boot.AdminProjectID || upd["type"] != "cert" {
		t.Errorf("updated: %v", upd)
	}
	if _, ok := upd["label"]; ok {
		t.Errorf("extra not removed: %v", upd)
	}
	if got := e.call("GET", "/v3/credentials/"+id, e.admin, nil).obj("credential"); got["blob"] != "new blob" {
		t.Errorf("get after update: %v", got)
	}
	e.call("DELETE", "/v3/credentials/"+id, e.admin, nil).must(t, http.StatusNoContent)
	res = e.call("GET", "/v3/credentials/"+id, e.admin, nil).must(t, http.StatusNotFound)
	if res.errorMessage() != "Could not find credential: "+id+"." {
		t.Errorf("message %q", res.errorMessage())
	}
	e.call("DELETE", "/v3/credentials/"+id, e.admin, nil).must(t, http.StatusNotFound)
	e.call("PATCH", "/v3/credentials/"+id, e.admin, credentialBody(map[string]any{"blob": "x"})).must(t, http.StatusNotFound)
}

func TestEC2Credential(t *testing.T) {
	e := newTestEnv(t)
	admin, project := e.boot.AdminUserID, e.boot.AdminProjectID
	blob := `{"access": "AKIA123", "secret": "s3"}`
	c := e.call("POST", "/v3/credentials", e.admin, credentialBody(map[string]any{
		"user_id": admin, "project_id": project, "type": "ec2", "blob": blob})).must(t, http.StatusCreated).obj("credential")
	sum := sha256.Sum256([]byte("AKIA123"))
	id := hex.EncodeToString(sum[:])
	if c["id"] != id || c["blob"] != blob {
		t.Fatalf("ec2 credential: %v", c)
	}
	e.call("POST", "/v3/credentials", e.admin, credentialBody(map[string]any{
		"user_id": admin, "project_id": project, "type": "ec2", "blob": `{"access": "AKIA123", "secret": "other"}`})).must(t, http.StatusConflict)

	patches := []struct {
		name   string
		fields map[string]any
		status int
	}{
		{"secret change", map[string]any{"blob": `{"access": "AKIA123", "secret": "rotated"}`}, http.StatusOK},
		{"blob not json", map[string]any{"blob": "plain"}, http.StatusBadRequest},
		{"blob without access", map[string]any{"blob": `{"secret": "x"}`}, http.StatusBadRequest},
		{"scope key change", map[string]any{"blob": `{"access": "AKIA123", "secret": "x", "trust_id": "t"}`}, http.StatusBadRequest},
		{"project removed", map[string]any{"project_id": nil}, http.StatusBadRequest},
	}
	for _, p := range patches {
		t.Run(p.name, func(t *testing.T) {
			e.call("PATCH", "/v3/credentials/"+id, e.admin, credentialBody(p.fields)).must(t, p.status)
		})
	}
	// A credential becoming ec2 needs a project and an access key.
	other := e.call("POST", "/v3/credentials", e.admin, credentialBody(map[string]any{"user_id": admin, "type": "cert", "blob": "x"})).
		must(t, http.StatusCreated).obj("credential")
	e.call("PATCH", "/v3/credentials/"+catStr(other, "id"), e.admin, credentialBody(map[string]any{"type": "ec2", "blob": `{"access": "k"}`})).must(t, http.StatusBadRequest)
	e.call("PATCH", "/v3/credentials/"+catStr(other, "id"), e.admin, credentialBody(map[string]any{"type": "ec2", "project_id": project})).must(t, http.StatusBadRequest)
	e.call("PATCH", "/v3/credentials/"+catStr(other, "id"), e.admin, credentialBody(map[string]any{"type": "ec2", "project_id": project, "blob": `{"access": "k"}`})).must(t, http.StatusOK)

	// Created through an application credential, the blob records it (as Keystone does).
	ac := e.call("POST", appCredPath(admin), e.admin, map[string]any{"application_credential": map[string]any{"name": "ec2", "unrestricted": true}}).
		must(t, http.StatusCreated).obj("application_credential")
	acToken := e.call("POST", "/v3/auth/tokens", "", appCredAuth(catStr(ac, "id"), "", "", catStr(ac, "secret"))).must(t, http.StatusCreated).header.Get("X-Subject-Token")
	viaAC := e.call("POST", "/v3/credentials", acToken, credentialBody(map[string]any{
		"user_id": admin, "project_id": project, "type": "ec2", "blob": `{"access": "AKIA999", "secret": "s"}`})).must(t, http.StatusCreated).obj("credential")
	var got map[string]any
	if err := json.Unmarshal([]byte(catStr(viaAC, "blob")), &got); err != nil || got["app_cred_id"] != ac["id"] {
		t.Errorf("blob %v (%v)", viaAC["blob"], err)
	}
}

func TestCredentialBadInput(t *testing.T) {
	e := newTestEnv(t)
	admin := e.boot.AdminUserID
	cases := []struct {
		name string
		body any
		want string
	}{
		{"malformed json", `{"credential": {`, ""},
		{"no object", map[string]any{"type": "cert"}, "credential"},
		{"missing user", credentialBody(map[string]any{"type": "cert", "blob": "x"}), "credential.user_id"},
		{"missing type", credentialBody(map[string]any{"user_id": admin, "blob": "x"}), "credential.type"},
		{"missing blob", credentialBody(map[string]any{"user_id": admin, "type": "cert"}), "credential.blob"},
		{"blob not a string", credentialBody(map[string]any{"user_id": admin, "type": "cert", "blob": map[string]any{"a": 1}}), "credential.blob"},
		{"type not a string", credentialBody(map[string]any{"user_id": admin, "type": 1, "blob": "x"}), "credential.type"},
		{"user not a string", credentialBody(map[string]any{"user_id": true, "type": "cert", "blob": "x"}), "credential.user_id"},
		{"project not a string", credentialBody(map[string]any{"user_id": admin, "type": "cert", "blob": "x", "project_id": 5}), "credential.project_id"},
		{"ec2 without project", credentialBody(map[string]any{"user_id": admin, "type": "ec2", "blob": `{"access": "a"}`}), "credential.project_id"},
		{"ec2 blob not json", credentialBody(map[string]any{"user_id": admin, "project_id": "p", "type": "ec2", "blob": "a"}), "credential.blob"},
		{"ec2 blob without access", credentialBody(map[string]any{"user_id": admin, "project_id": "p", "type": "ec2", "blob": `{"secret": "s"}`}), "credential.blob"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := e.call("POST", "/v3/credentials", e.admin, c.body).must(t, http.StatusBadRequest)
			if !strings.Contains(res.errorMessage(), c.want) {
				t.Errorf("message %q does not name %q", res.errorMessage(), c.want)
			}
		})
	}
	if l := e.call("GET", "/v3/credentials", e.admin, nil).list("credentials"); len(l) != 0 {
		t.Errorf("something was written: %v", l)
	}
	id := catStr(e.call("POST", "/v3/credentials", e.admin, credentialBody(map[string]any{"user_id": admin, "type": "cert", "blob": "x"})).
		must(t, http.StatusCreated).obj("credential"), "id")
	for name, body := range map[string]any{
		"empty":          credentialBody(map[string]any{}),
		"changed id":     credentialBody(map[string]any{"id": "other"}),
		"blob null":      credentialBody(map[string]any{"blob": nil}),
		"type not valid": credentialBody(map[string]any{"type": ""}),
	} {
		t.Run("patch "+name, func(t *testing.T) {
			e.call("PATCH", "/v3/credentials/"+id, e.admin, body).must(t, http.StatusBadRequest)
		})
	}
}

func TestCredentialPolicy(t *testing.T) {
	e := newTestEnv(t)
	admin := e.boot.AdminUserID
	aliceID, alice := catalogTestMember(t, e, "alice")
	_, bob := catalogTestMember(t, e, "bob")
	adminCred := catStr(e.call("POST", "/v3/credentials", e.admin, credentialBody(map[string]any{"user_id": admin, "type": "cert", "blob": "a"})).
		must(t, http.StatusCreated).obj("credential"), "id")
	mine := catStr(e.call("POST", "/v3/credentials", alice, credentialBody(map[string]any{"user_id": aliceID, "type": "totp", "blob": "b"})).
		must(t, http.StatusCreated).obj("credential"), "id")

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"alice gets own", "GET", "/v3/credentials/" + mine, alice, nil, http.StatusOK},
		{"alice gets admin's", "GET", "/v3/credentials/" + adminCred, alice, nil, http.StatusForbidden},
		{"bob gets alice's", "GET", "/v3/credentials/" + mine, bob, nil, http.StatusForbidden},
		{"alice creates for admin", "POST", "/v3/credentials", alice, credentialBody(map[string]any{"user_id": admin, "type": "cert", "blob": "x"}), http.StatusForbidden},
		{"alice updates admin's", "PATCH", "/v3/credentials/" + adminCred, alice, credentialBody(map[string]any{"blob": "x"}), http.StatusForbidden},
		{"alice gives hers to admin", "PATCH", "/v3/credentials/" + mine, alice, credentialBody(map[string]any{"user_id": admin}), http.StatusForbidden},
		{"alice deletes admin's", "DELETE", "/v3/credentials/" + adminCred, alice, nil, http.StatusForbidden},
		{"alice updates own", "PATCH", "/v3/credentials/" + mine, alice, credentialBody(map[string]any{"blob": "c"}), http.StatusOK},
		{"admin gets alice's", "GET", "/v3/credentials/" + mine, e.admin, nil, http.StatusOK},
		{"unknown", "GET", "/v3/credentials/nope", alice, nil, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.call(c.method, c.path, c.token, c.body).must(t, c.status)
		})
	}
	// Lists hold only what the caller may see.
	if l := e.call("GET", "/v3/credentials", alice, nil).must(t, http.StatusOK).list("credentials"); len(l) != 1 || l[0]["id"] != mine || l[0]["blob"] != "c" {
		t.Errorf("alice's list: %v", l)
	}
	if l := e.call("GET", "/v3/credentials?user_id="+admin, bob, nil).must(t, http.StatusOK).list("credentials"); len(l) != 0 {
		t.Errorf("bob sees: %v", l)
	}
	if l := e.call("GET", "/v3/credentials", e.admin, nil).list("credentials"); len(l) != 2 {
		t.Errorf("admin's list: %v", l)
	}
	e.call("DELETE", "/v3/credentials/"+mine, alice, nil).must(t, http.StatusNoContent)
}
