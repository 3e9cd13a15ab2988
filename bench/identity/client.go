package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client talks to the server under test over real HTTP with keep-alive connections.
type client struct {
	base string
	http *http.Client
}

// newClient returns a client keeping up to conns idle connections to base.
func newClient(base string, conns int) *client {
	tr := &http.Transport{
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// call is one request of a benchmark operation.
type call struct {
	method string
	path   string
	body   []byte // nil: no body
	header [][2]string
}

// do sends c and returns the status, the response header and the body (read in full).
func (cl *client) do(ctx context.Context, c call) (int, http.Header, []byte, error) {
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, cl.base+c.path, body)
	if err != nil {
		return 0, nil, nil, err
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range c.header {
		req.Header.Set(h[0], h[1])
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data, err
}

// fixtures are what setup created for the operations.
type fixtures struct {
	access      access
	userID      string
	projectID   string
	admin       string   // a project-scoped admin token, the caller of validations
	unscoped    string   // an unscoped token, rescoped by the token method
	tokens      []string // distinct project-scoped tokens to validate and list catalogs with
	appCredID   string   // "" when the application credential API is not available
	appSecret   string
	appCredNote string // why the application credential row is n/a
}

// setup logs in as admin and prepares tokens and an application credential.
func setup(ctx context.Context, cl *client, a access, n int) (*fixtures, error) {
	fx := &fixtures{access: a}
	tok, body, err := cl.issue(ctx, passwordBody(a, true))
	if err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	var view struct {
		Token struct {
			User    struct{ ID string } `json:"user"`
			Project struct{ ID string } `json:"project"`
		} `json:"token"`
	}
	if err := json.Unmarshal(body, &view); err != nil || view.Token.User.ID == "" || view.Token.Project.ID == "" {
		return nil, fmt.Errorf("admin login: token body lacks user or project id: %.300s", body)
	}
	fx.admin, fx.userID, fx.projectID = tok, view.Token.User.ID, view.Token.Project.ID
	if fx.unscoped, _, err = cl.issue(ctx, passwordBody(a, false)); err != nil {
		return nil, fmt.Errorf("unscoped login: %w", err)
	}
	rescope := tokenBody(fx.unscoped, fx.projectID)
	for range n {
		t, _, err := cl.issue(ctx, rescope)
		if err != nil {
			return nil, fmt.Errorf("issuing validation tokens: %w", err)
		}
		fx.tokens = append(fx.tokens, t)
	}
	if err := fx.createAppCred(ctx, cl); err != nil {
		return nil, err
	}
	return fx, nil
}

// issue posts an auth request and returns the new token and the response body.
func (cl *client) issue(ctx context.Context, body []byte) (string, []byte, error) {
	status, h, data, err := cl.do(ctx, call{method: http.MethodPost, path: "/v3/auth/tokens", body: body})
	if err != nil {
		return "", nil, err
	}
	if status != http.StatusCreated || h.Get("X-Subject-Token") == "" {
		return "", nil, fmt.Errorf("POST /v3/auth/tokens: %d %.300s", status, data)
	}
	return h.Get("X-Subject-Token"), data, nil
}

// createAppCred creates an application credential for the admin on its project. If the API
// is not there (404/405/501), it records why instead of failing.
func (fx *fixtures) createAppCred(ctx context.Context, cl *client) error {
	req := mustJSON(map[string]any{"application_credential": map[string]any{
		"name": fmt.Sprintf("bench-%d", time.Now().UnixNano()), "description": "identity benchmark"}})
	status, _, data, err := cl.do(ctx, call{method: http.MethodPost, path: "/v3/users/" + fx.userID + "/application_credentials",
		body: req, header: [][2]string{{"X-Auth-Token", fx.admin}}})
	if err != nil {
		return fmt.Errorf("creating an application credential: %w", err)
	}
	switch status {
	case http.StatusCreated:
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		fx.appCredNote = fmt.Sprintf("POST /v3/users/{id}/application_credentials answered %d: the endpoint is not in this build yet", status)
		return nil
	default:
		return fmt.Errorf("creating an application credential: %d %.300s", status, data)
	}
	var out struct {
		AppCred struct{ ID, Secret string } `json:"application_credential"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.AppCred.ID == "" || out.AppCred.Secret == "" {
		return fmt.Errorf("application credential response lacks id or secret: %.300s", data)
	}
	fx.appCredID, fx.appSecret = out.AppCred.ID, out.AppCred.Secret
	if _, _, err := cl.issue(ctx, appCredBody(fx.appCredID, fx.appSecret)); err != nil {
		fx.appCredID, fx.appCredNote = "", fmt.Sprintf("the application credential was created but does not authenticate: %v", err)
	}
	return nil
}

// passwordBody is a password auth request, project-scoped or explicitly unscoped.
func passwordBody(a access, scoped bool) []byte {
	auth := map[string]any{"identity": map[string]any{"methods": []string{"password"},
		"password": map[string]any{"user": map[string]any{"name": a.Username,
			"domain": map[string]any{"name": orDefault(a.UserDomain)}, "password": a.Password}}}}
	if scoped {
		auth["scope"] = map[string]any{"project": map[string]any{"name": a.Project,
			"domain": map[string]any{"name": orDefault(a.ProjectDomain)}}}
	} else {
		auth["scope"] = "unscoped"
	}
	return mustJSON(map[string]any{"auth": auth})
}

// tokenBody is a token-method auth request scoped to a project.
func tokenBody(token, projectID string) []byte {
	return mustJSON(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"token"}, "token": map[string]any{"id": token}},
		"scope":    map[string]any{"project": map[string]any{"id": projectID}},
	}})
}

// appCredBody is an application credential auth request.
func appCredBody(id, secret string) []byte {
	return mustJSON(map[string]any{"auth": map[string]any{"identity": map[string]any{
		"methods":                []string{"application_credential"},
		"application_credential": map[string]any{"id": id, "secret": secret},
	}}})
}

func orDefault(domain string) string {
	if domain == "" {
		return "Default"
	}
	return domain
}

// mustJSON encodes a value built from maps and strings, which cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
