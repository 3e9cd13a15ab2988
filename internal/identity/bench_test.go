package identity

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// newBenchEnv is a test environment whose access log is formatted as in production but
// discarded, so that benchmark output stays readable.
func newBenchEnv(b *testing.B) *testEnv {
	e := newTestEnv(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e.svc.log, e.svc.api.Log = log, log
	return e
}

// benchUnscoped issues an unscoped admin token by password.
func benchUnscoped(b *testing.B, e *testEnv) string {
	b.Helper()
	body := passwordAuth("admin", testAdminPassword, "")
	body["auth"].(map[string]any)["scope"] = "unscoped"
	return e.call("POST", "/v3/auth/tokens", "", body).must(b, http.StatusCreated).header.Get("X-Subject-Token")
}

// benchTokens issues n project-scoped tokens for the admin by the token method.
func benchTokens(b *testing.B, e *testEnv, n int) []string {
	b.Helper()
	body := rescopeBody(benchUnscoped(b, e), e.boot.AdminProjectID)
	out := make([]string, n)
	for i := range out {
		res := e.call("POST", "/v3/auth/tokens", "", string(body)).must(b, http.StatusCreated)
		out[i] = res.header.Get("X-Subject-Token")
	}
	return out
}

// rescopeBody is a token-method request for a project-scoped token.
func rescopeBody(token, projectID string) []byte {
	body, _ := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{"methods": []string{"token"}, "token": map[string]any{"id": token}},
		"scope":    map[string]any{"project": map[string]any{"id": projectID}},
	}})
	return body
}

// serveBench sends requests made by next straight to the identity handler (no network), in
// parallel, and fails on any status but want.
func serveBench(b *testing.B, h http.Handler, want int, next func(i int) *http.Request) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, next(i))
			if rec.Code != want {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
}

// BenchmarkValidate measures GET /v3/auth/tokens over a set of 100 cached tokens.
func BenchmarkValidate(b *testing.B) {
	e := newBenchEnv(b)
	tokens := benchTokens(b, e, 100)
	h := e.svc.Handler()
	serveBench(b, h, http.StatusOK, func(i int) *http.Request {
		r := httptest.NewRequest("GET", "/v3/auth/tokens", nil)
		r.Header.Set("X-Auth-Token", e.admin)
		r.Header.Set("X-Subject-Token", tokens[i%len(tokens)])
		return r
	})
}

// BenchmarkCatalog measures GET /v3/auth/catalog.
func BenchmarkCatalog(b *testing.B) {
	e := newBenchEnv(b)
	tokens := benchTokens(b, e, 100)
	h := e.svc.Handler()
	serveBench(b, h, http.StatusOK, func(i int) *http.Request {
		r := httptest.NewRequest("GET", "/v3/auth/catalog", nil)
		r.Header.Set("X-Auth-Token", tokens[i%len(tokens)])
		return r
	})
}

// BenchmarkIssue measures token issue by the token method (rescoping an unscoped token).
func BenchmarkIssue(b *testing.B) {
	e := newBenchEnv(b)
	body := rescopeBody(benchUnscoped(b, e), e.boot.AdminProjectID)
	h := e.svc.Handler()
	serveBench(b, h, http.StatusCreated, func(int) *http.Request {
		r := httptest.NewRequest("POST", "/v3/auth/tokens", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	})
}

// BenchmarkValidateHTTP measures GET /v3/auth/tokens through a real loopback HTTP server and
// client, as bench/identity does; its CPU profile shows the server's share in net/http.
func BenchmarkValidateHTTP(b *testing.B) {
	e := newBenchEnv(b)
	tokens := benchTokens(b, e, 100)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			r, _ := http.NewRequest("GET", e.srv.URL+"/v3/auth/tokens", nil)
			r.Header.Set("X-Auth-Token", e.admin)
			r.Header.Set("X-Subject-Token", tokens[i%len(tokens)])
			resp, err := client.Do(r)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkIssuePassword measures a project-scoped password issue, one at a time. Compare it
// with BenchmarkPasswordCheck (the bare hash check at the same cost): the difference is what
// issue adds to the hash.
func BenchmarkIssuePassword(b *testing.B) {
	e := newBenchEnv(b)
	body, _ := json.Marshal(passwordAuth("admin", testAdminPassword, "admin"))
	h := e.svc.Handler()
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/v3/auth/tokens", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkPasswordCheck measures one password check at the test environment's hash cost.
func BenchmarkPasswordCheck(b *testing.B) {
	opts := testOptions(b)
	hash, err := opts.Hasher.Hash(testAdminPassword)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !Check(hash, testAdminPassword) {
			b.Fatal("password does not match")
		}
	}
}
