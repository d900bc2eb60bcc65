package sellfern

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// testToken is the token every test client sends. It is long and distinctive so that finding it in an error
// message can only mean the message leaks it.
const (
	testToken     = "sk_test_CLIENTTEST_7d1e9b52"
	noScopeToken  = "sk_test_CLIENTTEST_noscope"
	testUserAgent = "terraform-provider-webhooks/1.2.3-test"
)

// recorded is one request as a server saw it.
type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// recorder remembers every request, then hands it to next.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []recorded
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.reqs)
}

// newMock returns a mock that accepts testToken (with the scope) and noScopeToken (without), behind a recorder,
// and the Sellfern base URL to reach it.
func newMock(t *testing.T) (*mockserver.Server, *recorder, string) {
	t.Helper()
	m := mockserver.New(mockserver.Options{Seed: 11, SellfernTokens: map[string]bool{testToken: true, noScopeToken: false}})
	rec := &recorder{next: m}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return m, rec, srv.URL + "/sellfern"
}

// startedMock is the mock listening by itself on a loopback port, as the acceptance tests use it.
func startedMock(t *testing.T, opts mockserver.Options) *mockserver.Server {
	t.Helper()
	opts.SellfernTokens = map[string]bool{testToken: true, noScopeToken: false}
	return apitest.StartMock(t, opts)
}

func newClient(t *testing.T, baseURL, token string, maxRetries int) *Client {
	t.Helper()
	c, err := New(Config{Token: token, Settings: transport.Settings{BaseURL: baseURL, UserAgent: testUserAgent, MaxRetries: maxRetries}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// serve starts an httptest server with h and returns a client for it that never retries.
func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return newClient(t, srv.URL, testToken, 0)
}

// checkMessage asserts what every error a user may see must satisfy.
func checkMessage(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	msg := err.Error()
	if problem := apitest.MessageProblem(msg, testToken, noScopeToken); problem != "" {
		t.Error(problem)
	}
	return msg
}

func wantFragments(t *testing.T, msg string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error message lacks %q:\n%s", w, msg)
		}
	}
	for _, w := range notWant {
		if strings.Contains(msg, w) {
			t.Errorf("error message should not contain %q:\n%s", w, msg)
		}
	}
}

// TestRoundTripAgainstMock: every call, typed, against the mock: the secret comes from create only and equals the
// one the mock issued; the list never carries it; update, send-test, deliveries and delete (with confirm=<id>) do
// what they say; every request carries the bearer token, the user agent and asks for JSON.
func TestRoundTripAgainstMock(t *testing.T) {
	m, rec, base := newMock(t)
	c := newClient(t, base, testToken, transport.DefaultMaxRetries)
	ctx := context.Background()

	created, err := c.CreateWebhook(ctx, CreateRequest{URL: "https://hooks.example.com/a", Events: []string{"order.updated", "order.created"}})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	held, ok := m.SellfernWebhook(created.ID)
	if !ok {
		t.Fatalf("mock does not hold created id %q", created.ID)
	}
	if !strings.HasPrefix(created.ID, "wh_") || created.Secret == "" || created.Secret != held.Secret {
		t.Fatalf("created %+v: want a wh_ id and the secret the mock issued", created)
	}
	if created.URL != "https://hooks.example.com/a" || !created.Enabled {
		t.Errorf("created %+v", created)
	}
	if got := sortedCopy(created.Events); !slices.Equal(got, []string{"order.created", "order.updated"}) {
		t.Errorf("created events %v", got)
	}
	if _, err := time.Parse(time.RFC3339, created.CreatedAt); err != nil {
		t.Errorf("created_at %q is not RFC 3339: %v", created.CreatedAt, err)
	}

	m.SellfernPut(mockserver.SellfernWebhook{URL: "https://other.example.com/", Events: []string{"ticket.created"}, Enabled: true})
	list, err := c.ListWebhooks(ctx)
	if err != nil {
		t.Fatalf("ListWebhooks: %v", err)
	}
	if len(list) != 2 {
		t.Fatalf("listed %d webhooks, want 2", len(list))
	}
	for _, w := range list {
		if w.Secret != "" {
			t.Errorf("list carries a secret for %s", w.ID)
		}
	}
	got, err := c.GetWebhook(ctx, created.ID)
	if err != nil || got.ID != created.ID || got.Secret != "" || got.URL != created.URL {
		t.Fatalf("GetWebhook: %+v, %v", got, err)
	}

	newURL, disabled := "https://hooks.example.com/b", false
	if err := c.UpdateWebhook(ctx, created.ID, UpdateRequest{URL: &newURL, Events: []string{"ticket.updated"}, Enabled: &disabled}); err != nil {
		t.Fatalf("UpdateWebhook: %v", err)
	}
	if held, _ := m.SellfernWebhook(created.ID); held.URL != newURL || held.Enabled || held.Secret != created.Secret {
		t.Errorf("mock after update %+v", held)
	}
	// The read after a write lists again.
	if got, err := c.GetWebhook(ctx, created.ID); err != nil || got.URL != newURL {
		t.Errorf("GetWebhook after update: %+v, %v", got, err)
	}

	sent, err := c.SendTest(ctx, created.ID)
	if err != nil || sent == nil || sent.HTTPStatus != http.StatusOK || sent.Refused || sent.Delivery == nil {
		t.Fatalf("SendTest: %+v, %v", sent, err)
	}
	d := sent.Delivery
	if d.WebhookID != created.ID || d.StatusCode != http.StatusOK || !d.Success {
		t.Fatalf("SendTest delivery: %+v", d)
	}
	ds, err := c.ListDeliveries(ctx, created.ID)
	if err != nil || len(ds) != 1 || ds[0].ID != d.ID {
		t.Fatalf("ListDeliveries: %+v, %v", ds, err)
	}

	if err := c.DeleteWebhook(ctx, created.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if _, ok := m.SellfernWebhook(created.ID); ok {
		t.Fatal("mock still holds the deleted webhook")
	}
	// Sellfern answers the second delete 404, and the list confirms the webhook is gone: done.
	if err := c.DeleteWebhook(ctx, created.ID); err != nil {
		t.Fatalf("second delete of a webhook the list confirms gone: %v", err)
	}
	_, err = c.GetWebhook(ctx, created.ID)
	if !IsNotFound(err) {
		t.Fatalf("GetWebhook after delete: want not found, got %v", err)
	}
	wantFragments(t, checkMessage(t, err), []string{`Sellfern has no webhook with id "` + created.ID + `": the account's list of webhooks does not hold it`}, nil)

	var deletes int
	for _, r := range rec.requests() {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("%s %s: Authorization %q", r.Method, r.Path, got)
		}
		if got := r.Header.Get("User-Agent"); got != testUserAgent {
			t.Errorf("%s %s: User-Agent %q, want %q", r.Method, r.Path, got, testUserAgent)
		}
		if got := r.Header.Get("Accept"); !strings.Contains(got, "application/json") {
			t.Errorf("%s %s: Accept %q", r.Method, r.Path, got)
		}
		switch r.Method {
		case http.MethodDelete:
			deletes++
			if r.Path != "/sellfern/api/v2/webhooks/"+created.ID || r.RawQuery != "confirm="+created.ID {
				t.Errorf("delete sent %s?%s, want confirm=<id>", r.Path, r.RawQuery)
			}
		case http.MethodPost:
			if r.Path == "/sellfern/api/v2/webhooks" && string(r.Body) != `{"url":"https://hooks.example.com/a","events":["order.updated","order.created"]}` {
				t.Errorf("create body %s", r.Body)
			}
		case http.MethodPatch:
			if string(r.Body) != `{"url":"https://hooks.example.com/b","events":["ticket.updated"],"enabled":false}` {
				t.Errorf("update body %s", r.Body)
			}
		}
	}
	if deletes != 2 {
		t.Errorf("%d deletes sent, want 2", deletes)
	}
}

// TestAgainstStartedMock: the client works against the mock listening by itself on 127.0.0.1:0, as in the
// acceptance tests, and its errors for the two kinds of bad token are the documented ones.
func TestAgainstStartedMock(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 3})
	ctx := context.Background()
	w, err := newClient(t, m.SellfernBaseURL(), testToken, transport.DefaultMaxRetries).CreateWebhook(ctx, CreateRequest{URL: "https://h.example.com/x", Events: []string{"expense.created"}})
	if err != nil {
		t.Fatal(err)
	}
	if held, _ := m.SellfernWebhook(w.ID); held.Secret != w.Secret {
		t.Fatal("secret differs from the mock's")
	}

	_, err = newClient(t, m.SellfernBaseURL(), "sk_test_revoked_0000", transport.DefaultMaxRetries).ListWebhooks(ctx)
	if !IsAuth(err) {
		t.Fatalf("bad token: %v", err)
	}
	wantFragments(t, checkMessage(t, err), []string{"Sellfern rejected the token (HTTP 401 unauthorized, request id req_",
		"): it is missing, invalid, expired or revoked", "a Sellfern API v2 token (sk_live_…, made in Sellfern's Settings → API Tokens)",
		`a key of Sellfern's "public V1" API, sent as x-api-key, is not one`}, []string{"sk_test_revoked_0000"})

	_, err = newClient(t, m.SellfernBaseURL(), noScopeToken, transport.DefaultMaxRetries).ListWebhooks(ctx)
	if !IsAuth(err) {
		t.Fatalf("token without scope: %v", err)
	}
	wantFragments(t, checkMessage(t, err), []string{"(HTTP 403 missing_scope, request id req_", "the token does not have the webhooks:manage scope",
		`details: {"required_scope":"webhooks:manage"}`}, nil)

	// A create the server refuses as invalid shows the server's own words.
	_, err = newClient(t, m.SellfernBaseURL(), testToken, transport.DefaultMaxRetries).CreateWebhook(ctx, CreateRequest{URL: "https://h.example.com/y", Events: []string{"order.deleted"}})
	wantFragments(t, checkMessage(t, err), []string{"Sellfern rejected the request as invalid (HTTP 400 validation_error, request id req_", `unknown event "order.deleted"`}, nil)
	if n := len(m.SellfernWebhooks()); n != 1 {
		t.Errorf("mock holds %d webhooks, want 1", n)
	}
}

// TestUpdateCopesWithoutBody: the documents show no body for PATCH's 200; an empty body, or an envelope that says
// success without data, is success, and so is the updated webhook. A 2xx that says it failed, or names another
// webhook, or holds something that is not a webhook, is an error: the server did not do what was asked.
func TestUpdateCopesWithoutBody(t *testing.T) {
	cases := []struct {
		name, body  string
		status      int
		contentType string
		wantErr     []string // fragments of the error; none means success
	}{
		{name: "empty 200", status: 200},
		{name: "empty 200 claiming JSON", status: 200, contentType: "application/json"},
		{name: "204", status: 204},
		{name: "envelope without data", status: 200, body: `{"success":true}`},
		{name: "envelope with null data", status: 200, body: `{"success":true,"data":null}`},
		{name: "updated object", status: 200, body: `{"success":true,"data":{"id":"wh_1","url":"https://x.example.com","events":["order.created"],"enabled":false,"created_at":"2026-05-22T10:00:00Z","etag":"abc"}}`},
		{name: "success false", status: 200, body: `{"success":false,"error":{"code":"conflict","message":"webhook is locked"}}`,
			wantErr: []string{"Sellfern API answered PATCH /api/v2/webhooks/wh_1 with HTTP 200 but", `"success" is false (conflict: webhook is locked)`, "did not do what was asked"}},
		{name: "success false, nothing else", status: 200, body: `{"success":false}`,
			wantErr: []string{`HTTP 200 but "success" is false, so the call did not do what was asked`}},
		{name: "no success field", status: 200, body: `{}`, wantErr: []string{`HTTP 200 but "success" is missing`}},
		{name: "envelope with empty object", status: 200, body: `{"success":true,"data":{}}`, wantErr: []string{`"data" that is not webhook "wh_1"`}},
		{name: "another webhook", status: 200, body: `{"success":true,"data":{"id":"wh_2"}}`, wantErr: []string{`"data" that is not webhook "wh_1"`}},
		{name: "data a list", status: 200, body: `{"success":true,"data":[]}`, wantErr: []string{`"data" that is not the updated webhook`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var method, path string
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				method, path = r.Method, r.URL.Path
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			enabled := false
			err := c.UpdateWebhook(context.Background(), "wh_1", UpdateRequest{Enabled: &enabled})
			if method != http.MethodPatch || path != "/api/v2/webhooks/wh_1" {
				t.Errorf("sent %s %s", method, path)
			}
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("UpdateWebhook: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("UpdateWebhook succeeded; want an error")
			}
			wantFragments(t, checkMessage(t, err), tc.wantErr, nil)
		})
	}
}

// TestUnknownFieldsIgnored: fields the documents do not name, at every level, change nothing.
func TestUnknownFieldsIgnored(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v2/webhooks":
			io.WriteString(w, `{"success":true,"meta":{"page":1,"next":null},"data":[
				{"id":"wh_1","url":"https://a.example.com","events":["order.created","ticket.updated"],"enabled":true,
				 "created_at":"2026-05-22T10:00:00Z","description":"x","headers":{"X":"y"},"failures":[1,2],"version":2}],
				"request_id":"r1"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/api/v2/webhooks":
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"success":true,"data":{"id":"wh_2","url":"https://b.example.com","events":["order.created"],
				"secret":"whsec_abc","enabled":true,"created_at":"2026-05-22T10:00:01Z","signing":{"alg":"sha256"}},"warnings":[]}`)
		case strings.HasSuffix(r.URL.Path, "/deliveries"):
			io.WriteString(w, `{"success":true,"data":[{"id":"dl_1","webhook_id":"wh_1","event":"order.created","status_code":500,
				"success":false,"error":"timeout","created_at":"2026-05-22T10:00:02Z","duration_ms":1234,"attempt":3}]}`)
		default:
			http.NotFound(w, r)
		}
	})
	ctx := context.Background()
	list, err := c.ListWebhooks(ctx)
	if err != nil || len(list) != 1 || list[0].ID != "wh_1" || len(list[0].Events) != 2 || list[0].CreatedAt != "2026-05-22T10:00:00Z" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	w, err := c.CreateWebhook(ctx, CreateRequest{URL: "https://b.example.com", Events: []string{"order.created"}})
	if err != nil || w.ID != "wh_2" || w.Secret != "whsec_abc" {
		t.Fatalf("create: %+v, %v", w, err)
	}
	ds, err := c.ListDeliveries(ctx, "wh_1")
	if err != nil || len(ds) != 1 || ds[0].StatusCode != 500 || ds[0].Error != "timeout" || ds[0].Success {
		t.Fatalf("deliveries: %+v, %v", ds, err)
	}
}

// errorCase is one error answer and what the user must (not) read about it.
type errorCase struct {
	name        string
	status      int
	contentType string
	body        string
	call        string // "list", "update", "delete", "test", "deliveries"
	want        []string
	notWant     []string
	notFound    bool
	auth        bool
}

func runCall(ctx context.Context, c *Client, call string) error {
	var err error
	switch call {
	case "list":
		_, err = c.ListWebhooks(ctx)
	case "update":
		on := true
		err = c.UpdateWebhook(ctx, "wh_abc123", UpdateRequest{Enabled: &on})
	case "delete":
		err = c.DeleteWebhook(ctx, "wh_abc123")
	case "test":
		_, err = c.SendTest(ctx, "wh_abc123")
	case "deliveries":
		_, err = c.ListDeliveries(ctx, "wh_abc123")
	default:
		panic(call)
	}
	return err
}

// TestErrorMessages: each documented status has its own human message, and every shape of error body (the
// documented envelope, other JSON, HTML, empty, binary junk, huge) gives a clear, bounded, printable one.
func TestErrorMessages(t *testing.T) {
	huge := strings.Repeat("A", 1<<20)
	cases := []errorCase{
		{name: "401 envelope", status: 401, body: `{"success":false,"error":{"code":"unauthorized","message":"token is invalid or revoked"}}`, call: "list",
			want: []string{"Sellfern rejected the token (HTTP 401 unauthorized): it is missing, invalid, expired or revoked: token is invalid or revoked."}, auth: true},
		{name: "401 empty", status: 401, call: "list",
			want: []string{"Sellfern rejected the token (HTTP 401): it is missing, invalid, expired or revoked", "empty response body"}, auth: true},
		{name: "403 missing_scope envelope", status: 403, body: `{"success":false,"error":{"code":"missing_scope","message":"token lacks the required scope"}}`, call: "list",
			want: []string{"Sellfern refused the call (HTTP 403 missing_scope)", "the token does not have the webhooks:manage scope", "Issue a token with webhooks:manage"}, auth: true},
		{name: "403 missing_scope names the scope of its details", status: 403,
			body: `{"success":false,"error":{"code":"missing_scope","message":"no","details":{"required_scope":"webhooks:read"}},"meta":{"request_id":"req_8f2c"}}`, call: "list",
			want:    []string{`Sellfern refused the call (HTTP 403 missing_scope, request id req_8f2c): the token does not have the webhooks:read scope that this call needs: no; details: {"required_scope":"webhooks:read"}. Issue a token with webhooks:read`},
			notWant: []string{"webhooks:manage"}, auth: true},
		{name: "request id and details of any error", status: 400,
			body: `{"success":false,"error":{"code":"validation_error","message":"bad url","details":{"field":"url", "hint": [1, 2]}},"meta":{"request_id":"req_abc123"}}`, call: "update",
			want: []string{`Sellfern rejected the request as invalid (HTTP 400 validation_error, request id req_abc123): bad url; details: {"field":"url","hint":[1,2]}`}},
		{name: "details are redacted and escaped", status: 400,
			body: `{"success":false,"error":{"code":"validation_error","message":"m","details":{"echo":"Bearer ` + testToken + `","s":"whsec_abc","x":"\u001b]0;t\u0007"}},"meta":{"request_id":"req_\u001b[31m"}}`, call: "update",
			want: []string{`request id req_\x1b[31m)`, `details: {"echo":"***","s":"***","x":"\u001b]0;t\u0007"}`}, notWant: []string{"whsec_abc"}},
		{name: "a request id on a 404", status: 404, body: `{"success":false,"error":{"code":"not_found","message":"gone"},"meta":{"request_id":"req_1"}}`, call: "list",
			want: []string{"with HTTP 404 not_found (request id req_1): gone: the base URL"}},
		{name: "403 missing_scope flat", status: 403, body: `{"error":"missing_scope","message":"scope"}`, call: "update",
			want: []string{"HTTP 403 missing_scope", "webhooks:manage"}, auth: true},
		{name: "403 other", status: 403, body: `{"success":false,"error":{"code":"account_suspended","message":"Account suspended for non-payment"}}`, call: "list",
			want: []string{"Sellfern refused the call (HTTP 403 account_suspended): Account suspended for non-payment"}, notWant: []string{"webhooks:manage"}, auth: true},
		{name: "403 HTML", status: 403, contentType: "text/html; charset=utf-8", body: "<html><body><h1>Forbidden</h1>by WAF</body></html>", call: "list",
			want: []string{"Sellfern refused the call (HTTP 403)", "an HTML page (50 bytes) instead of JSON"}, notWant: []string{"<html", "webhooks:manage"}, auth: true},
		// Every call answered 404, the list included: nothing is known, and nothing is "not found".
		{name: "404 on update, list 404 too", status: 404, body: `{"success":false,"error":{"code":"not_found","message":"webhook \"wh_abc123\" not found"}}`, call: "update",
			want: []string{`Sellfern answered PATCH /api/v2/webhooks/wh_abc123 with HTTP 404 not_found: webhook "wh_abc123" not found`,
				`and the list of webhooks that would show whether "wh_abc123" is gone failed as well, so nothing is known of it`,
				"Sellfern answered GET /api/v2/webhooks with HTTP 404 not_found"}},
		{name: "404 on delete, empty body", status: 404, call: "delete",
			want: []string{`Sellfern answered DELETE /api/v2/webhooks/wh_abc123 with HTTP 404; the response was empty response body`, "failed as well"}},
		{name: "404 on deliveries", status: 404, body: `{"message":"no such hook"}`, call: "deliveries",
			want: []string{`Sellfern answered GET /api/v2/webhooks/wh_abc123/deliveries with HTTP 404: no such hook`, "failed as well"}},
		{name: "404 on the list", status: 404, body: `{"success":false,"error":{"code":"not_found","message":"no route for GET /api/v2/webhooks"}}`, call: "list",
			want: []string{"Sellfern answered GET /api/v2/webhooks with HTTP 404 not_found: no route for GET /api/v2/webhooks: the base URL " +
				"does not serve Sellfern's webhooks API there, so nothing is known of the webhooks, and none is taken to be gone"}},
		{name: "400 envelope shows the server's message", status: 400, body: `{"success":false,"error":{"code":"validation_error","message":"events[0]: unknown event \"order.deleted\""}}`, call: "update",
			want: []string{`Sellfern rejected the request as invalid (HTTP 400 validation_error): events[0]: unknown event "order.deleted"`}},
		{name: "400 error and message strings", status: 400, body: `{"error":"x","message":"y is wrong"}`, call: "update",
			want: []string{"Sellfern rejected the request as invalid (HTTP 400 x): y is wrong"}},
		{name: "400 message only", status: 400, body: `{"message":"url must be https"}`, call: "update",
			want: []string{"Sellfern rejected the request as invalid (HTTP 400): url must be https"}},
		{name: "400 code and detail", status: 400, body: `{"code":"E42","detail":"bad events"}`, call: "update",
			want: []string{"(HTTP 400 E42): bad events"}},
		{name: "400 error_description", status: 400, body: `{"error":"invalid_request","error_description":"malformed"}`, call: "update",
			want: []string{"(HTTP 400 invalid_request): malformed"}},
		{name: "400 error of another type", status: 400, body: `{"error":42,"message":["a","b"]}`, call: "update",
			want: []string{"Sellfern rejected the request as invalid (HTTP 400)", `the response was "{\"error\":42,\"message\":[\"a\",\"b\"]}"`}},
		{name: "400 JSON string body", status: 400, body: `"nope"`, call: "update",
			want: []string{"(HTTP 400)", `the response was "\"nope\""`}},
		{name: "400 JSON array body", status: 400, body: `[{"code":"x"}]`, call: "update",
			want: []string{"(HTTP 400)", "the response was"}},
		{name: "400 plain text", status: 400, contentType: "text/plain", body: "bad request\r\n", call: "update",
			want: []string{`(HTTP 400); the response was "bad request"`}},
		{name: "400 control characters in message", status: 400, body: "{\"error\":{\"code\":\"bad\\u0007code\",\"message\":\"line1\\nline2\\u0000\\u001b[31mred\\r\\t\\u0085x\"}}", call: "update",
			want: []string{`bad\x07code`, `line1 line2\x00\x1b[31mred x`}},
		{name: "400 invalid UTF-8 in message", status: 400, body: "{\"message\":\"caf\xe9 \xff\xfe\"}", call: "update",
			want: []string{"(HTTP 400): caf"}},
		{name: "422 envelope", status: 422, body: `{"success":false,"error":{"code":"unprocessable","message":"cannot"}}`, call: "update",
			want: []string{"Sellfern API error (HTTP 422 unprocessable): cannot"}},
		{name: "500 HTML page", status: 500, contentType: "text/html", body: "<!DOCTYPE html><html><head><title>500</title></head><body>" + strings.Repeat("<p>stack</p>", 100) + "</body></html>", call: "delete",
			want: []string{"Sellfern API error (HTTP 500)", "an HTML page", "instead of JSON"}, notWant: []string{"<p>", "stack"}},
		{name: "500 empty", status: 500, call: "delete",
			want: []string{"Sellfern API error (HTTP 500); the response was empty response body"}},
		{name: "502 binary junk", status: 502, contentType: "application/octet-stream", body: "\x00\x01\x02\xff\xfe\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", call: "delete",
			want: []string{"Sellfern API error (HTTP 502)", "the response was"}},
		{name: "huge text body", status: 400, contentType: "text/plain", body: huge, call: "update",
			want: []string{"(HTTP 400); the response was \"AAAA", "…"}},
		{name: "huge JSON message", status: 400, body: `{"error":{"code":"validation_error","message":"` + huge + `"}}`, call: "update",
			want: []string{"(HTTP 400 validation_error): AAAA", "…"}},
		{name: "huge JSON code", status: 400, body: `{"error":"` + huge + `","message":"m"}`, call: "update",
			want: []string{"(HTTP 400 AAAA", "…"}},
		{name: "long Cyrillic code and message", status: 400,
			body: `{"error":{"code":"` + strings.Repeat("ошибка", 200) + `","message":"` + strings.Repeat("сообщение", 200) + `"}}`, call: "update",
			want: []string{"(HTTP 400 ошибка", "сообщение"}},
		{name: "long escaped text body", status: 400, contentType: "text/plain", body: strings.Repeat("\U000e0001", 300), call: "update",
			want: []string{"(HTTP 400); the response was"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				} else if tc.body != "" {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			err := runCall(context.Background(), c, tc.call)
			msg := checkMessage(t, err)
			wantFragments(t, msg, tc.want, tc.notWant)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("want an *APIError, got %T: %v", err, err)
			}
			if ae.StatusCode != tc.status {
				t.Errorf("StatusCode %d, want %d", ae.StatusCode, tc.status)
			}
			if IsNotFound(err) != tc.notFound {
				t.Errorf("IsNotFound = %v, want %v", IsNotFound(err), tc.notFound)
			}
			if IsAuth(err) != tc.auth {
				t.Errorf("IsAuth = %v, want %v", IsAuth(err), tc.auth)
			}
		})
	}
}

// TestStatusMessagesAreDistinct: 401, 403 missing_scope, other 403, 404 and 400 each read differently, even with
// the code left out of the comparison.
func TestStatusMessagesAreDistinct(t *testing.T) {
	seen := map[string]string{}
	for _, e := range []*APIError{
		{StatusCode: 401, Code: "unauthorized"},
		{StatusCode: 403, Code: "missing_scope"},
		{StatusCode: 403, Code: "forbidden"},
		{StatusCode: 404, Code: "not_found", WebhookID: "wh_1"},
		{StatusCode: 400, Code: "validation_error"},
	} {
		msg := strings.ReplaceAll(e.Error(), " "+e.Code+")", ")")
		if other, dup := seen[msg]; dup {
			t.Errorf("HTTP %d %s reads like %s: %q", e.StatusCode, e.Code, other, e.Error())
		}
		seen[msg] = fmt.Sprint(e.StatusCode, " ", e.Code)
	}
}

// TestTokenNeverInErrors: a server that echoes the request back (headers, token, in any encoding) never makes the
// token appear in an error.
func TestTokenNeverInErrors(t *testing.T) {
	escaped := strings.ReplaceAll(testToken, "_", `\u005f`) // the same JSON string, spelt differently
	cases := []struct {
		name        string
		status      int
		contentType string
		body        func(r *http.Request) string
	}{
		{"envelope echoes the Authorization header", 401, "application/json", func(r *http.Request) string {
			return `{"success":false,"error":{"code":"unauthorized","message":"bad header: ` + r.Header.Get("Authorization") + `"}}`
		}},
		{"flat JSON echoes the bare token", 403, "application/json", func(*http.Request) string {
			return `{"error":"` + testToken + `","message":"token ` + testToken + ` lacks scope"}`
		}},
		{"plain text dump of the request", 400, "text/plain", func(r *http.Request) string {
			var b strings.Builder
			_ = r.Header.Write(&b)
			return b.String()
		}},
		{"HTML echo", 500, "text/html", func(r *http.Request) string {
			return "<html><body>Authorization: " + r.Header.Get("Authorization") + "</body></html>"
		}},
		{"JSON-escaped token in the message", 400, "application/json", func(*http.Request) string {
			return `{"success":false,"error":{"code":"validation_error","message":"token ` + escaped + ` is not allowed here"}}`
		}},
		{"JSON-escaped token in the code", 403, "application/json", func(*http.Request) string {
			return `{"error":"` + escaped + `"}`
		}},
		{"2xx answer that is not JSON echoes the token", 200, "text/plain", func(r *http.Request) string {
			return "hello " + r.Header.Get("Authorization")
		}},
		{"2xx answer that is not JSON echoes the bare token", 200, "application/json", func(*http.Request) string {
			return `{"success":true,"data":` + testToken + `}`
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body(r))
			})
			checkMessage(t, runCall(context.Background(), c, "list"))
		})
	}
}

// TestTokenNeverInErrorsFromBrokenServer: a server that answers the request with raw bytes that are not HTTP, the
// request's own Authorization line among them, gets a network error that does not repeat them.
func TestTokenNeverInErrorsFromBrokenServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				var auth string
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(strings.ToLower(line), "authorization:") {
						fields := strings.Fields(line)
						auth = fields[len(fields)-1] // the credential itself
					}
					if line == "\r\n" {
						break
					}
				}
				fmt.Fprintf(conn, "%s\r\n\r\n", auth) // not a status line: Go quotes it in its error
			}()
		}
	}()
	c := newClient(t, "http://"+ln.Addr().String(), testToken, 0)
	t.Log(checkMessage(t, runCall(context.Background(), c, "list")))
}

// TestContextCancellation: a call blocked on a slow server returns as soon as its context is cancelled, with an
// error that says so; a context already done sends nothing.
func TestContextCancellation(t *testing.T) {
	arrived := make(chan string, 10)
	release := make(chan struct{})
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/api/v2/webhooks" {
			arrived <- r.Method
			// Hold the answer until the client goes away (or the test ends: the shared list a cancelled caller
			// leaves behind is detached from its context and would otherwise run to the request timeout).
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success":true,"data":[]}`)
	})

	t.Cleanup(func() { close(release) }) // runs before the server's Close
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.ListWebhooks(ctx)
		done <- err
	}()
	<-arrived
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	checkMessage(t, err)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := c.ListWebhooks(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("already cancelled: want context.Canceled, got %v", err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := c.DeleteWebhook(ctx, "wh_1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past deadline: want context.DeadlineExceeded, got %v", err)
	}
	select {
	case m := <-arrived:
		t.Fatalf("a call with a context already done reached the server (%s)", m)
	default:
	}
}

// TestCreateCancelledDeletesWhatItsKeyMade: a create interrupted while the server holds its answer re-sends the
// request with the same Idempotency-Key to learn what it made, deletes that webhook, and says so.
func TestCreateCancelledDeletesWhatItsKeyMade(t *testing.T) {
	m, rec, _ := newMock(t)
	arrived := make(chan struct{}, 1)
	var held atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/sellfern/api/v2/webhooks" && held.CompareAndSwap(false, true) {
			rec.ServeHTTP(httptest.NewRecorder(), r) // made on the server...
			arrived <- struct{}{}
			<-r.Context().Done() // ...but the answer never comes
			return
		}
		rec.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL+"/sellfern", testToken, transport.DefaultMaxRetries)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateWebhook(ctx, CreateRequest{URL: "https://h.example.com/c", Events: []string{"order.created"}})
		done <- err
	}()
	<-arrived
	made := m.SellfernWebhooks()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	var ie *inventory.InterruptedError
	if !errors.As(err, &ie) || len(made) != 1 || ie.Deleted != made[0].ID {
		t.Fatalf("want an *inventory.InterruptedError that deleted %v, got %T: %v", made, err, err)
	}
	wantFragments(t, checkMessage(t, err), []string{"was interrupted", "Re-sent with its Idempotency-Key",
		made[0].ID + ", which the provider then deleted"}, []string{"nothing is left"})
	if n := len(m.SellfernWebhooks()); n != 0 {
		t.Fatalf("mock holds %d webhooks after an interrupted create, want 0", n)
	}
	var keys []string
	for _, r := range rec.requests() {
		if r.Method == http.MethodPost {
			keys = append(keys, r.Header.Get("Idempotency-Key"))
		}
	}
	if len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("create requests carried keys %q, want the same key twice", keys)
	}
}

// TestCreateExactlyOnceUnderFaults: with half the requests failing (503, half of the create faults after the
// webhook was stored), every CreateWebhook that succeeds made exactly one webhook and returned its secret, and one
// that fails left nothing behind.
func TestCreateExactlyOnceUnderFaults(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 20260522, Faults: mockserver.FaultOptions{
		Rate: 0.5, Kinds: []mockserver.FaultKind{mockserver.Fault503}, AfterCommitRatio: 0.5,
	}})
	exactlyOnce(t, m, 24, transport.DefaultMaxRetries)
}

// TestCreateExactlyOnceUnderMixedFaults: the same with dropped connections and 503s, which the client waits out
// with backoff; fewer creates keep it quick.
func TestCreateExactlyOnceUnderMixedFaults(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 7, Faults: mockserver.FaultOptions{Rate: 0.25, AfterCommitRatio: 0.5}})
	exactlyOnce(t, m, 6, 10)
}

func exactlyOnce(t *testing.T, m *mockserver.Server, n, maxRetries int) {
	t.Helper()
	c := newClient(t, m.SellfernBaseURL(), testToken, maxRetries)
	ctx := context.Background()
	succeeded := map[string]*Created{}
	unsettled := map[string]error{} // url -> an *inventory.UnsettledError: the create may have made a webhook
	for i := range n {
		url := fmt.Sprintf("https://hooks.example.com/eo/%d", i)
		w, err := c.CreateWebhook(ctx, CreateRequest{URL: url, Events: []string{"order.created", "ticket.created"}})
		var ue *inventory.UnsettledError
		switch {
		case err == nil:
			if w == nil || w.ID == "" || w.Secret == "" {
				t.Fatalf("create %d: success without id or secret: %+v", i, w)
			}
			succeeded[url] = w
		case errors.As(err, &ue):
			// Every request's answer was lost: the error says that the webhook may exist, and names what it sees.
			wantFragments(t, checkMessage(t, err), []string{"did not settle", "Idempotency-Key", "may have made the webhook"}, nil)
			unsettled[url] = err
		default:
			checkMessage(t, err)
			if !strings.Contains(err.Error(), "listing existing webhooks before creating") {
				t.Errorf("create %d: unexpected error %T: %v", i, err, err)
			}
		}
	}
	byURL := map[string][]mockserver.SellfernWebhook{}
	for _, h := range m.SellfernWebhooks() {
		byURL[h.URL] = append(byURL[h.URL], h)
	}
	for url, held := range byURL {
		w, ok := succeeded[url]
		switch {
		case len(held) != 1:
			t.Errorf("%s: %d webhooks on the server, want at most 1: the key makes re-sends safe", url, len(held))
		case unsettled[url] != nil:
			// A webhook the failed create may have made: its error must name it when the list could see it.
			if !strings.Contains(unsettled[url].Error(), held[0].ID) {
				t.Errorf("%s: webhook %s on the server, and the create's error does not name it: %v", url, held[0].ID, unsettled[url])
			}
		case !ok:
			t.Errorf("%s: %d webhooks on the server for a create that failed definitely", url, len(held))
		case held[0].ID != w.ID || held[0].Secret != w.Secret:
			t.Errorf("%s: client got id %s and a secret that is not what the mock holds (%s)", url, w.ID, held[0].ID)
		}
	}
	for url := range succeeded {
		if len(byURL[url]) == 0 {
			t.Errorf("%s: create succeeded but the server holds nothing", url)
		}
	}
	if issued := m.IssuedSellfernSecrets(); len(issued) != len(m.SellfernWebhooks()) {
		t.Errorf("the mock issued %d secrets for %d webhooks: a webhook was made twice", len(issued), len(m.SellfernWebhooks()))
	}
	if st := m.Stats(); st.Requests["sellfern.delete"] != 0 {
		t.Errorf("%d deletes: nothing is deleted on a guess", st.Requests["sellfern.delete"])
	}
	st := m.Stats()
	t.Logf("%d/%d creates succeeded, %d unsettled; mock saw %d requests, faults %v, %d after commit, %d replayed", len(succeeded), n, len(unsettled), st.Total, st.Faults, st.FaultsAfterCommit, st.Replayed["sellfern.create"])
	if st.FaultsAfterCommit == 0 {
		t.Errorf("no fault hit a create after commit: the test proves nothing; change the seed")
	}
	if len(succeeded) < n/2 {
		t.Errorf("only %d of %d creates succeeded", len(succeeded), n)
	}
}

// TestCreateWhoseAnswersAreAllLost: when the server stores the create but every answer to it is lost, the requests
// carry one key, so the server holds one webhook however often it was sent; the create fails saying it may exist,
// naming it, and deletes nothing.
func TestCreateWhoseAnswersAreAllLost(t *testing.T) {
	m, rec, _ := newMock(t)
	var creates int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/sellfern/api/v2/webhooks" {
			creates++
			rec.ServeHTTP(httptest.NewRecorder(), r)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"success":false,"error":{"code":"unavailable","message":"try later"}}`)
			return
		}
		rec.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL+"/sellfern", testToken, 2)
	_, err := c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/budget", Events: []string{"order.created"}})
	var ue *inventory.UnsettledError
	if !errors.As(err, &ue) {
		t.Fatalf("want *inventory.UnsettledError, got %T: %v", err, err)
	}
	held := m.SellfernWebhooks()
	if creates != 3 || len(held) != 1 {
		t.Fatalf("%d create requests, %d webhooks; want 3 and 1", creates, len(held))
	}
	wantFragments(t, checkMessage(t, err), []string{"did not settle", "sent 3 time(s) with Idempotency-Key", "HTTP 503 unavailable",
		"appeared meanwhile: " + held[0].ID}, []string{"nothing is left"})
	for _, r := range rec.requests() {
		if r.Method == http.MethodDelete {
			t.Fatalf("a webhook was deleted on a guess: %s", r.Path)
		}
	}
}

// TestCreateWithUnreadableAnswerLeavesNoOrphan: the server makes the webhook and answers 201, but with a body the
// client cannot read (truncated JSON, no id). Re-sent with its key, the create is made once; when no answer can be
// read, the client must not leave the webhook on the server unknown to anyone: the error names it.
func TestCreateWithUnreadableAnswerLeavesNoOrphan(t *testing.T) {
	for name, answer := range map[string]string{
		"truncated JSON": `{"success":true,"data":{"id":"wh_`,
		"no id":          `{"success":true,"data":{"url":"https://h.example.com/u"}}`,
		"HTML":           `<html>Created</html>`,
	} {
		t.Run(name, func(t *testing.T) {
			m, _, _ := newMock(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && r.URL.Path == "/sellfern/api/v2/webhooks" {
					m.ServeHTTP(httptest.NewRecorder(), r)
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusCreated)
					io.WriteString(w, answer)
					return
				}
				m.ServeHTTP(w, r)
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL+"/sellfern", testToken, 1)
			w, err := c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/u", Events: []string{"order.created"}})
			if err == nil {
				t.Fatalf("want an error, got %+v", w)
			}
			checkMessage(t, err)
			if held := m.SellfernWebhooks(); len(held) > 1 || (len(held) == 1 && !reported(err, held)) {
				t.Errorf("the server holds %d webhook(s) that the failed create made, and the error does not name them: %v",
					len(held), err)
			}
		})
	}
}

// reported reports whether err tells the user about every webhook the server holds (nothing may delete them on a
// guess).
func reported(err error, held []mockserver.SellfernWebhook) bool {
	var ue *inventory.UnsettledError
	if !inventory.IsOrphan(err) && !errors.As(err, &ue) {
		return false
	}
	for _, h := range held {
		if !strings.Contains(err.Error(), h.ID) {
			return false
		}
	}
	return true
}

// TestBaseURLRules: the client refuses to send the token in clear text to a remote host.
func TestBaseURLRules(t *testing.T) {
	for _, base := range []string{"http://api.sellfern.com", "ftp://api.sellfern.com", "https://user:pw@api.sellfern.com", "api.sellfern.com", " https://api.sellfern.com"} {
		_, err := New(Config{Token: testToken, Settings: transport.Settings{BaseURL: base}})
		if err == nil {
			t.Errorf("New accepted base URL %q", base)
			continue
		}
		checkMessage(t, err)
	}
	for _, base := range []string{"", "https://api.sellfern.com", "http://127.0.0.1:1", "http://localhost:8080/sellfern", "http://[::1]:9"} {
		if _, err := New(Config{Token: testToken, Settings: transport.Settings{BaseURL: base}}); err != nil {
			t.Errorf("New refused base URL %q: %v", base, err)
		}
	}
}

// TestSigningSecretNeverQuoted: a webhook signing secret (whsec_…) in any answer the client cannot read, or in
// an error's text, is never quoted in the error: the client cannot know which secret a server might echo, but
// it knows what one looks like.
func TestSigningSecretNeverQuoted(t *testing.T) {
	const secret = "whsec_0123456789abcdef0123456789abcdef"
	for name, tc := range map[string]struct {
		status int
		body   string
		call   func(*Client) error
	}{
		"error message echoes a secret": {400, `{"success":false,"error":{"code":"validation_error","message":"secret ` + secret + ` cannot be reused"}}`,
			func(c *Client) error { return runCall(context.Background(), c, "update") }},
		"truncated list with a secret": {200, `{"success":true,"data":[{"id":"wh_1","secret":"` + secret + `"`,
			func(c *Client) error { return runCall(context.Background(), c, "list") }},
		"truncated update answer with a secret": {200, `{"success":true,"data":{"id":"wh_abc123","secret":"` + secret + `","url":`,
			func(c *Client) error { return runCall(context.Background(), c, "update") }},
		"truncated create answer with a secret": {201, `{"success":true,"data":{"id":"wh_2","secret":"` + secret + `","url":`,
			func(c *Client) error {
				_, err := c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/s", Events: []string{"order.created"}})
				return err
			}},
	} {
		t.Run(name, func(t *testing.T) {
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.Method == http.MethodGet && tc.status == 201 {
					io.WriteString(w, `{"success":true,"data":[]}`) // the lists around a create
					return
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			if msg := checkMessage(t, tc.call(c)); strings.Contains(msg, secret) || strings.Contains(msg, "0123456789abcdef0123") {
				t.Errorf("error message quotes the signing secret: %q", msg)
			}
		})
	}
}

// TestSuccessStatusThatFailsIsAnError: a 2xx answer that does not carry what the call promises is an error that
// names the call, the status and what the body said; never an empty list, never "done".
func TestSuccessStatusThatFailsIsAnError(t *testing.T) {
	const listed = `{"id":"wh_1","url":"https://a.example.com","events":["order.created"],"enabled":true,"created_at":"2026-05-22T10:00:00Z"}`
	cases := []struct {
		name, call, body string
		want             []string
	}{
		{"list says it failed", "list", `{"success":false,"error":{"code":"internal","message":"database unavailable"}}`,
			[]string{"Sellfern API answered GET /api/v2/webhooks with HTTP 200 but", `"success" is false (internal: database unavailable)`}},
		{"list without data", "list", `{"success":true}`, []string{`no "data" (it is absent or null), where the list of webhooks belongs`}},
		{"list with null data", "list", `{"success":true,"data":null}`, []string{`no "data" (it is absent or null)`}},
		{"list of nothing at all", "list", `{}`, []string{`"success" is missing`}},
		{"list that is an object", "list", `{"success":true,"data":{"id":"wh_1"}}`, []string{`"data" that is not the list of webhooks`}},
		{"listed webhook without enabled", "list", `{"success":true,"data":[` + strings.Replace(listed, `"enabled":true,`, "", 1) + `]}`,
			[]string{`webhook 1 of the list has no "enabled"`}},
		{"listed webhook without url", "list", `{"success":true,"data":[` + strings.Replace(listed, `"url":"https://a.example.com",`, "", 1) + `]}`,
			[]string{`webhook 1 of the list has no "url"`}},
		{"listed webhook without events", "list", `{"success":true,"data":[` + strings.Replace(listed, `"events":["order.created"],`, "", 1) + `]}`,
			[]string{`webhook 1 of the list has no "events"`}},
		{"listed webhook with a bad time", "list", `{"success":true,"data":[` + strings.Replace(listed, `2026-05-22T10:00:00Z`, "yesterday", 1) + `]}`,
			[]string{`webhook 1 of the list has a "created_at" that is not an RFC 3339 time ("yesterday")`}},
		{"listed webhook whose id is a path", "list", `{"success":true,"data":[` + strings.Replace(listed, `"wh_1"`, `"wh/../x"`, 1) + `]}`,
			[]string{`webhook 1 of the list has an id that cannot be used ("wh/../x" is not a Sellfern webhook id`}},
		{"listed webhook whose id has a zero-width joiner", "list", `{"success":true,"data":[` + strings.Replace(listed, `"wh_1"`, `"wh_1\u200d"`, 1) + `]}`,
			[]string{`webhook 1 of the list has an id that cannot be used ("wh_1\u200d" is not a Sellfern webhook id`, `control or format characters`}},
		{"listed webhook whose id is dot-dot", "list", `{"success":true,"data":[` + strings.Replace(listed, `"wh_1"`, `".."`, 1) + `]}`,
			[]string{`an id that cannot be used (".."`}},
		{"delete says it failed", "delete", `{"success":false,"error":{"code":"locked","message":"try later"}}`,
			[]string{"Sellfern API answered DELETE /api/v2/webhooks/wh_abc123 with HTTP 200 but", `"success" is false (locked: try later)`}},
		{"deliveries with null data", "deliveries", `{"success":true,"data":null}`, []string{`where the list of deliveries belongs`}},
		// Text from the server is escaped once: a backslash of the escape is not escaped again.
		{"data that is a string with a bidi override", "list", `{"success":true,"data":"` + "\u202e" + `exe.txt"}`,
			[]string{`"data" that is not the list of webhooks: "\"\u202eexe.txt\""`}},
		{"a time with controls", "list", `{"success":true,"data":[` + strings.Replace(listed, `2026-05-22T10:00:00Z`, `\u001b[31m`, 1) + `]}`,
			[]string{`a "created_at" that is not an RFC 3339 time ("\x1b[31m")`}},
		{"a page that says so, with its request id", "list", `{"success":true,"data":[],"meta":{"total":"2","request_id":"req_7"}}`,
			[]string{`Sellfern API answered GET /api/v2/webhooks with HTTP 200 (request id req_7) but only part of the list of webhooks: ` +
				`the answer says more follows ("meta.total": "2", where the answer holds 0)`}},
		{"says it failed, with its request id and details", "delete",
			`{"success":false,"error":{"code":"locked","message":"try later","details":{"retry_in":"5m"}},"meta":{"request_id":"req_9"}}`,
			[]string{`with HTTP 200 (request id req_9) but "success" is false (locked: try later; details: {"retry_in":"5m"})`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.body)
			})
			err := runCall(context.Background(), c, tc.call)
			if err == nil {
				t.Fatal("the call succeeded; want an error")
			}
			wantFragments(t, checkMessage(t, err), tc.want, nil)
		})
	}
}

// TestIDsAreOnePathSegment: an id goes on the wire as one escaped segment, and one that would name another path
// is refused before anything is sent.
func TestIDsAreOnePathSegment(t *testing.T) {
	var uris []string
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		uris = append(uris, r.RequestURI)
		io.WriteString(w, `{"success":true}`)
	})
	ctx := context.Background()
	if err := c.DeleteWebhook(ctx, "wh%1?x#"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", ".", "..", "wh/../x", "wh 1", "wh\u202e1", "wh\x1b[1"} {
		err := c.DeleteWebhook(ctx, id)
		wantFragments(t, checkMessage(t, err), []string{"the webhook id cannot be used in a request", "is not a Sellfern webhook id"}, nil)
	}
	if want := []string{"/api/v2/webhooks/wh%251%3Fx%23?confirm=wh%251%3Fx%23"}; !slices.Equal(uris, want) {
		t.Fatalf("requests %q, want %q", uris, want)
	}
}

// TestCreateIsBoundedWhenTheListStalls: a create whose every answer is lost, while the list that would show what
// appeared never comes back, ends within the one bound a create has, and says what may be left. Its re-sends carry
// its key: one webhook on the server.
func TestCreateIsBoundedWhenTheListStalls(t *testing.T) {
	m := startedMock(t, mockserver.Options{Seed: 3})
	m.SetFaults(mockserver.FaultOptions{Rate: 1, AfterCommitRatio: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503},
		Routes: []string{"sellfern.create"}})
	m.OnRequest(func(route string) {
		if route == "sellfern.create" {
			m.SetStall("sellfern.list", true)
		}
	})
	const bound = 2 * time.Second
	c, err := New(Config{Token: testToken, Settings: transport.Settings{BaseURL: m.SellfernBaseURL(), UserAgent: testUserAgent, MaxRetries: transport.DefaultMaxRetries, RequestTimeout: 200 * time.Millisecond, MaxElapsed: bound}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/stalled", Events: []string{"order.created"}})
	elapsed := time.Since(start)
	var unsettled *inventory.UnsettledError
	if !errors.As(err, &unsettled) {
		t.Fatalf("want an UnsettledError, got %T: %v", err, err)
	}
	wantFragments(t, checkMessage(t, err), []string{"did not settle", "may have made the webhook",
		"the next apply that creates this webhook names it in a warning"}, nil)
	// Not a measure of speed: without the bound this create would have gone on listing for minutes.
	if elapsed > 5*bound {
		t.Fatalf("the create took %s against a bound of %s", elapsed, bound)
	}
	if n, held := m.Count("sellfern.create"), len(m.SellfernWebhooks()); n != transport.DefaultMaxRetries+1 || held != 1 {
		t.Fatalf("%d create requests and %d webhooks; want %d requests with one key, and one webhook", n, held, transport.DefaultMaxRetries+1)
	}
}
