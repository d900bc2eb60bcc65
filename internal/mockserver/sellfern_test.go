package mockserver_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

var (
	idPattern       = regexp.MustCompile(`^wh_[0-9a-f]{16}$`)
	secretPattern   = regexp.MustCompile(`^whsec_[0-9a-f]{32}$`)
	deliveryPattern = regexp.MustCompile(`^dl_[0-9a-f]{16}$`)
	// requestIDPattern is the form of Sellfern's request ids (developer guide "Errors": "req_…").
	requestIDPattern = regexp.MustCompile(`^req_[0-9a-f]{16}$`)
)

// createSellfern creates a webhook through the API and returns its data.
func createSellfern(t *testing.T, s *mockserver.Server, url string, events ...string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"url": url, "events": events})
	r := sf(t, s, "POST", "/api/v2/webhooks", string(body))
	wantStatus(t, r, http.StatusCreated)
	return data(t, r).(map[string]any)
}

// data checks the success envelope and returns its data.
func data(t *testing.T, r resp) any {
	t.Helper()
	env := r.object(t)
	if env["success"] != true {
		t.Fatalf("success != true: %s", r.body)
	}
	return env["data"]
}

func sellfernList(t *testing.T, s *mockserver.Server) []map[string]any {
	t.Helper()
	r := sf(t, s, "GET", "/api/v2/webhooks", "")
	wantStatus(t, r, http.StatusOK)
	var out []map[string]any
	for _, v := range data(t, r).([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func wantSellfernError(t *testing.T, r resp, status int, code, msgPart string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	got, msg := sellfernError(t, r)
	if got != code {
		t.Errorf("code = %q, want %q; body %s", got, code, r.body)
	}
	if !strings.Contains(msg, msgPart) {
		t.Errorf("message does not mention %q: %s", msgPart, r.body)
	}
}

func TestSellfernAuth(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	path := "/sellfern/api/v2/webhooks"
	for _, c := range []struct {
		auth   string
		status int
		code   string
	}{
		{"", 401, "unauthorized"},
		{"Bearer", 401, "unauthorized"},
		{"Bearer ", 401, "unauthorized"},
		{"Bearer sk_live_unknown", 401, "unauthorized"},
		{"Basic " + mockserver.DemoSellfernToken, 401, "unauthorized"},
		{mockserver.DemoSellfernToken, 401, "unauthorized"}, // raw token: Sellfern wants Bearer
		{"Bearer " + mockserver.NoScopeSellfernToken, 403, "missing_scope"},
	} {
		r := serve(t, s, "GET", path, c.auth, "")
		wantSellfernError(t, r, c.status, c.code, "")
	}
	r := serve(t, s, "GET", path, "Bearer "+mockserver.NoScopeSellfernToken, "")
	wantSellfernError(t, r, 403, "missing_scope", "webhooks:manage")

	// Auth comes before anything else: no 404 or 400 leaks to a bad token.
	wantSellfernError(t, serve(t, s, "PATCH", path+"/wh_nope", "", `{`), 401, "unauthorized", "")
	wantSellfernError(t, serve(t, s, "DELETE", path+"/wh_nope", "Bearer "+mockserver.NoScopeSellfernToken, ""), 403, "missing_scope", "")

	// The scheme is case-insensitive (RFC 6750).
	wantStatus(t, serve(t, s, "GET", path, "bearer "+mockserver.DemoSellfernToken, ""), http.StatusOK)

	// Custom tokens replace the defaults.
	c := mockserver.New(mockserver.Options{SellfernTokens: map[string]bool{"sk_a": true, "sk_b": false}})
	wantStatus(t, serve(t, c, "GET", path, "Bearer sk_a", ""), http.StatusOK)
	wantSellfernError(t, serve(t, c, "GET", path, "Bearer sk_b", ""), 403, "missing_scope", "")
	wantSellfernError(t, serve(t, c, "GET", path, sfAuth, ""), 401, "unauthorized", "")
}

func TestSellfernCreate(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	before := time.Now().UTC().Truncate(time.Second)
	r := sf(t, s, "POST", "/api/v2/webhooks",
		`{"url":"https://example.com/hooks?a=1&b=<2>","events":["order.status_changed","order.created"],"enabled":false,"extra":{"x":1}}`)
	wantStatus(t, r, http.StatusCreated)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	d := data(t, r).(map[string]any)
	if !idPattern.MatchString(d["id"].(string)) {
		t.Errorf("id = %v", d["id"])
	}
	if !secretPattern.MatchString(d["secret"].(string)) {
		t.Errorf("secret = %v", d["secret"])
	}
	if d["url"] != "https://example.com/hooks?a=1&b=<2>" {
		t.Errorf("url = %v", d["url"])
	}
	if !strings.Contains(string(r.body), `b=<2>`) {
		t.Errorf("url was HTML-escaped: %s", r.body)
	}
	if got := d["events"].([]any); len(got) != 2 || got[0] != "order.status_changed" || got[1] != "order.created" {
		t.Errorf("events = %v", got)
	}
	if d["enabled"] != true {
		t.Errorf("enabled = %v; create must ignore the undocumented enabled field", d["enabled"])
	}
	created := d["created_at"].(string)
	ts, err := time.Parse(time.RFC3339, created)
	if err != nil || !strings.HasSuffix(created, "Z") || strings.Contains(created, ".") {
		t.Errorf("created_at = %q, want RFC3339 UTC with whole seconds", created)
	}
	if ts.Before(before) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("created_at = %v, not now", ts)
	}

	stored, ok := s.SellfernWebhook(d["id"].(string))
	if !ok || stored.Secret != d["secret"] || !stored.Enabled || !stored.CreatedAt.Equal(ts) {
		t.Errorf("stored = %+v", stored)
	}
	if s.Count("sellfern.create") != 1 {
		t.Errorf("create count = %d", s.Count("sellfern.create"))
	}

	// Every webhook has its own id and secret.
	d2 := createSellfern(t, s, "https://example.com/2", "ticket.created")
	if d2["id"] == d["id"] || d2["secret"] == d["secret"] {
		t.Error("ids or secrets repeat")
	}
}

func TestSellfernCreateValidation(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	long := "https://example.com/" + strings.Repeat("a", 2048-len("https://example.com/")+1)
	cases := []struct {
		name, body, code, msg string
	}{
		{"empty body", ``, "invalid_json", "not valid JSON"},
		{"malformed", `{"url":`, "invalid_json", "not valid JSON"},
		{"trailing data", `{}{}`, "invalid_json", "not valid JSON"},
		{"array", `[]`, "invalid_json", "JSON object"},
		{"null", `null`, "invalid_json", "JSON object"},
		{"url missing", `{"events":["order.created"]}`, "validation_error", "url is required"},
		{"url case-sensitive", `{"URL":"https://example.com","events":["order.created"]}`, "validation_error", "url is required"},
		{"url number", `{"url":5,"events":["order.created"]}`, "validation_error", "url must be a string"},
		{"url null", `{"url":null,"events":["order.created"]}`, "validation_error", "url must be a string"},
		{"url empty", `{"url":"","events":["order.created"]}`, "validation_error", "url must not be empty"},
		{"url http", `{"url":"http://example.com","events":["order.created"]}`, "validation_error", "absolute https://"},
		{"url relative", `{"url":"/hooks","events":["order.created"]}`, "validation_error", "absolute https://"},
		{"url no scheme", `{"url":"example.com/hooks","events":["order.created"]}`, "validation_error", "absolute https://"},
		{"url no host", `{"url":"https://","events":["order.created"]}`, "validation_error", "host"},
		{"url empty host", `{"url":"https:///path","events":["order.created"]}`, "validation_error", "host"},
		{"url port only", `{"url":"https://:443/x","events":["order.created"]}`, "validation_error", "host"},
		{"url opaque", `{"url":"https:example.com","events":["order.created"]}`, "validation_error", "host"},
		{"url userinfo", `{"url":"https://user:pw@example.com","events":["order.created"]}`, "validation_error", "user info"},
		{"url space", `{"url":"https://exa mple.com","events":["order.created"]}`, "validation_error", "whitespace"},
		{"url trailing newline", `{"url":"https://example.com\n","events":["order.created"]}`, "validation_error", "whitespace"},
		{"url control", `{"url":"https://example.com/\u0001","events":["order.created"]}`, "validation_error", "control"},
		{"url malformed", `{"url":"https://[::1","events":["order.created"]}`, "validation_error", "not a valid URL"},
		{"url too long", `{"url":"` + long + `","events":["order.created"]}`, "validation_error", "2048"},
		{"events missing", `{"url":"https://example.com"}`, "validation_error", "events is required"},
		{"events null", `{"url":"https://example.com","events":null}`, "validation_error", "array of strings"},
		{"events string", `{"url":"https://example.com","events":"order.created"}`, "validation_error", "array of strings"},
		{"events mixed", `{"url":"https://example.com","events":["order.created",5]}`, "validation_error", "array of strings"},
		{"events empty", `{"url":"https://example.com","events":[]}`, "validation_error", "at least one event"},
		{"events unknown", `{"url":"https://example.com","events":["order.created","order.deleted"]}`, "validation_error", `events[1]: unknown event "order.deleted"`},
		{"events case", `{"url":"https://example.com","events":["Order.Created"]}`, "validation_error", `unknown event "Order.Created"`},
		{"events duplicate", `{"url":"https://example.com","events":["ticket.created","ticket.created"]}`, "validation_error", `duplicate event "ticket.created"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantSellfernError(t, sf(t, s, "POST", "/api/v2/webhooks", c.body), http.StatusBadRequest, c.code, c.msg)
		})
	}
	// The unknown-event message lists the allowed events.
	r := sf(t, s, "POST", "/api/v2/webhooks", `{"url":"https://example.com","events":["nope"]}`)
	if !strings.Contains(string(r.body), "order.fulfillment.delivered") {
		t.Errorf("message does not list the allowed events: %s", r.body)
	}
	if n := len(s.SellfernWebhooks()); n != 0 {
		t.Errorf("%d webhooks stored by invalid requests", n)
	}

	// Exactly 2048 characters is fine; every documented event is accepted.
	ok := "https://example.com/" + strings.Repeat("a", 2048-len("https://example.com/"))
	all := []string{"order.created", "order.updated", "order.status_changed", "order.fulfillment.shipped",
		"order.fulfillment.delivered", "expense.created", "ticket.created", "ticket.updated"}
	createSellfern(t, s, ok, all...)
}

func TestSellfernBodyTooLarge(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	body := `{"url":"https://example.com","events":["order.created"],"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	wantSellfernError(t, sf(t, s, "POST", "/api/v2/webhooks", body), http.StatusBadRequest, "invalid_json", "larger than")
	// Just under the limit is accepted.
	body = `{"url":"https://example.com","events":["order.created"],"pad":"` + strings.Repeat("x", 1<<20-100) + `"}`
	wantStatus(t, sf(t, s, "POST", "/api/v2/webhooks", body), http.StatusCreated)
}

func TestSellfernSecretOnlyOnCreate(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	d := createSellfern(t, s, "https://example.com/a", "order.created")
	secret := d["secret"].(string)
	id := d["id"].(string)
	for _, r := range []resp{
		sf(t, s, "GET", "/api/v2/webhooks", ""),
		sf(t, s, "PATCH", "/api/v2/webhooks/"+id, `{"enabled":false}`),
		sf(t, s, "POST", "/api/v2/webhooks/"+id+"/test", ""),
		sf(t, s, "GET", "/api/v2/webhooks/"+id+"/deliveries", ""),
	} {
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(string(r.body), "secret") || strings.Contains(string(r.body), secret) {
			t.Errorf("response leaks the secret: %s", r.body)
		}
	}
}

func TestSellfernList(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	r := sf(t, s, "GET", "/api/v2/webhooks", "")
	if got := withoutRequestID(t, r.body); got != `{"data":[],"success":true}` {
		t.Errorf("empty list = %s", got)
	}
	var ids []string
	for _, u := range []string{"https://example.com/1", "https://example.com/2", "https://example.com/3"} {
		ids = append(ids, createSellfern(t, s, u, "order.created", "expense.created")["id"].(string))
	}
	list := sellfernList(t, s)
	if len(list) != 3 {
		t.Fatalf("list has %d webhooks", len(list))
	}
	for i, w := range list {
		if w["id"] != ids[i] {
			t.Errorf("list[%d].id = %v, want creation order %v", i, w["id"], ids)
		}
		for _, k := range []string{"id", "url", "events", "enabled", "created_at"} {
			if _, ok := w[k]; !ok {
				t.Errorf("list[%d] lacks %q", i, k)
			}
		}
		if _, ok := w["secret"]; ok {
			t.Errorf("list[%d] has a secret", i)
		}
	}
}

func TestSellfernPatch(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	d := createSellfern(t, s, "https://example.com/a", "order.created", "order.updated")
	id := d["id"].(string)
	path := "/api/v2/webhooks/" + id

	// {} is a no-op that answers the current object.
	r := sf(t, s, "PATCH", path, `{}`)
	wantStatus(t, r, http.StatusOK)
	got := data(t, r).(map[string]any)
	if got["id"] != id || got["url"] != "https://example.com/a" || got["enabled"] != true || got["created_at"] != d["created_at"] {
		t.Errorf("PATCH {} = %v", got)
	}
	if _, ok := got["secret"]; ok {
		t.Error("PATCH response has a secret")
	}

	// Each field alone; events replaces the whole list.
	got = data(t, sf(t, s, "PATCH", path, `{"enabled":false}`)).(map[string]any)
	if got["enabled"] != false || len(got["events"].([]any)) != 2 {
		t.Errorf("PATCH enabled = %v", got)
	}
	got = data(t, sf(t, s, "PATCH", path, `{"events":["ticket.updated"]}`)).(map[string]any)
	if ev := got["events"].([]any); len(ev) != 1 || ev[0] != "ticket.updated" || got["enabled"] != false {
		t.Errorf("PATCH events = %v", got)
	}
	got = data(t, sf(t, s, "PATCH", path, `{"url":"https://example.org/new","enabled":true,"unknown":1}`)).(map[string]any)
	if got["url"] != "https://example.org/new" || got["enabled"] != true {
		t.Errorf("PATCH url+enabled = %v", got)
	}

	// Invalid updates change nothing, even their valid parts.
	before, _ := s.SellfernWebhook(id)
	for _, c := range []struct{ body, code, msg string }{
		{`{"enabled":false,"url":"http://example.com"}`, "validation_error", "absolute https://"},
		{`{"enabled":false,"events":[]}`, "validation_error", "at least one event"},
		{`{"enabled":false,"events":["order.created","bogus"]}`, "validation_error", "bogus"},
		{`{"enabled":"false"}`, "validation_error", "enabled must be a boolean"},
		{`{"enabled":null}`, "validation_error", "enabled must be a boolean"},
		{`{"url":null}`, "validation_error", "url must be a string"},
		{`{`, "invalid_json", "JSON"},
		{``, "invalid_json", "JSON"},
		{`"x"`, "invalid_json", "JSON object"},
	} {
		wantSellfernError(t, sf(t, s, "PATCH", path, c.body), http.StatusBadRequest, c.code, c.msg)
	}
	after, _ := s.SellfernWebhook(id)
	if after.URL != before.URL || after.Enabled != before.Enabled || !slices.Equal(after.Events, before.Events) {
		t.Errorf("a failed PATCH changed the webhook: %+v -> %+v", before, after)
	}

	wantSellfernError(t, sf(t, s, "PATCH", "/api/v2/webhooks/wh_0000000000000000", `{"enabled":false}`),
		http.StatusNotFound, "not_found", "wh_0000000000000000")
}

func TestSellfernDelete(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	id := createSellfern(t, s, "https://example.com/a", "order.created")["id"].(string)
	other := createSellfern(t, s, "https://example.com/b", "order.created")["id"].(string)
	sf(t, s, "POST", "/api/v2/webhooks/"+id+"/test", "")
	path := "/api/v2/webhooks/" + id

	wantSellfernError(t, sf(t, s, "DELETE", path, ""), 400, "validation_error", "confirm must repeat the webhook id")
	wantSellfernError(t, sf(t, s, "DELETE", path+"?confirm=", ""), 400, "validation_error", "confirm must repeat the webhook id")
	wantSellfernError(t, sf(t, s, "DELETE", path+"?confirm="+other, ""), 400, "validation_error", "confirm must repeat the webhook id")
	wantSellfernError(t, sf(t, s, "DELETE", "/api/v2/webhooks/wh_nope?confirm=wh_nope", ""), 404, "not_found", "wh_nope")
	if len(s.SellfernWebhooks()) != 2 {
		t.Fatal("a refused delete removed something")
	}

	r := sf(t, s, "DELETE", path+"?confirm="+id, "")
	wantStatus(t, r, http.StatusOK)
	if got := withoutRequestID(t, r.body); got != `{"success":true}` {
		t.Errorf("delete body = %s", got)
	}
	if _, ok := s.SellfernWebhook(id); ok {
		t.Error("webhook still stored")
	}
	if s.SellfernDeliveries(id) != nil {
		t.Error("deliveries survived the webhook")
	}
	list := sellfernList(t, s)
	if len(list) != 1 || list[0]["id"] != other {
		t.Errorf("list after delete = %v", list)
	}
	wantSellfernError(t, sf(t, s, "DELETE", path+"?confirm="+id, ""), 404, "not_found", id)
	wantSellfernError(t, sf(t, s, "GET", path+"/deliveries", ""), 404, "not_found", id)
}

func TestSellfernTestAndDeliveries(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	wantSellfernError(t, sf(t, s, "POST", "/api/v2/webhooks/wh_nope/test", ""), 404, "not_found", "wh_nope")
	wantSellfernError(t, sf(t, s, "GET", "/api/v2/webhooks/wh_nope/deliveries", ""), 404, "not_found", "wh_nope")

	id := createSellfern(t, s, "https://example.com/a", "ticket.created", "order.created")["id"].(string)
	base := "/api/v2/webhooks/" + id
	r := sf(t, s, "GET", base+"/deliveries", "")
	if got := withoutRequestID(t, r.body); got != `{"data":[],"success":true}` {
		t.Errorf("no deliveries = %s", got)
	}

	r = sf(t, s, "POST", base+"/test", "")
	wantStatus(t, r, http.StatusOK)
	first := data(t, r).(map[string]any)
	if !deliveryPattern.MatchString(first["id"].(string)) || first["webhook_id"] != id || first["event"] != "ticket.created" ||
		first["status_code"] != float64(200) || first["success"] != true || first["error"] != "" {
		t.Errorf("test delivery = %v", first)
	}
	if _, err := time.Parse(time.RFC3339, first["created_at"].(string)); err != nil {
		t.Errorf("created_at: %v", err)
	}

	sf(t, s, "PATCH", base, `{"events":["order.updated"]}`)
	second := data(t, sf(t, s, "POST", base+"/test", "")).(map[string]any)

	ds := data(t, sf(t, s, "GET", base+"/deliveries", "")).([]any)
	if len(ds) != 2 {
		t.Fatalf("deliveries = %v", ds)
	}
	if ds[0].(map[string]any)["id"] != second["id"] || ds[1].(map[string]any)["id"] != first["id"] {
		t.Errorf("deliveries not newest first: %v", ds)
	}
	if ds[0].(map[string]any)["event"] != "order.updated" {
		t.Errorf("second test used %v, want the webhook's first event", ds[0])
	}
	stored := s.SellfernDeliveries(id)
	if len(stored) != 2 || stored[0].ID != second["id"] || stored[0].StatusCode != 200 || !stored[0].Success {
		t.Errorf("SellfernDeliveries = %+v", stored)
	}
}

// An endpoint told to fail makes every test delivery to its URL carry its status and error, and only its own;
// told to work again, it does.
func TestSellfernEndpointFailure(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	broken := createSellfern(t, s, "https://example.com/broken", "order.created")["id"].(string)
	fine := createSellfern(t, s, "https://example.com/fine", "order.created")["id"].(string)
	s.SetSellfernEndpointFailure("https://example.com/broken", http.StatusInternalServerError, "handler panicked")

	r := sf(t, s, "POST", "/api/v2/webhooks/"+broken+"/test", "")
	wantStatus(t, r, http.StatusOK) // the test call itself succeeds: it is the delivery that failed
	d := data(t, r).(map[string]any)
	if d["status_code"] != float64(500) || d["error"] != "handler panicked" || d["success"] != false {
		t.Errorf("delivery to the broken endpoint = %v", d)
	}
	if d := data(t, sf(t, s, "POST", "/api/v2/webhooks/"+fine+"/test", "")).(map[string]any); d["status_code"] != float64(200) || d["success"] != true {
		t.Errorf("delivery to the working endpoint = %v", d)
	}

	s.SetSellfernEndpointFailure("https://example.com/broken", 0, "")
	if d := data(t, sf(t, s, "POST", "/api/v2/webhooks/"+broken+"/test", "")).(map[string]any); d["status_code"] != float64(0) ||
		!strings.Contains(d["error"].(string), "could not be reached") || d["success"] != false {
		t.Errorf("delivery to an unreachable endpoint = %v", d)
	}
	s.SetSellfernEndpointFailure("https://example.com/broken", http.StatusOK, "")
	if d := data(t, sf(t, s, "POST", "/api/v2/webhooks/"+broken+"/test", "")).(map[string]any); d["status_code"] != float64(200) || d["success"] != true {
		t.Errorf("delivery after the endpoint was repaired = %v", d)
	}
	if got := s.SellfernDeliveries(broken); len(got) != 3 || got[2].StatusCode != 500 || got[2].Error != "handler panicked" {
		t.Errorf("SellfernDeliveries = %+v", got)
	}
}

// Told to, the test call answers with the bare envelope; the delivery is recorded and listed all the same.
func TestSellfernTestOmitsDelivery(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	id := createSellfern(t, s, "https://example.com/a", "order.created")["id"].(string)
	s.SetSellfernTestOmitsDelivery(true)
	r := sf(t, s, "POST", "/api/v2/webhooks/"+id+"/test", "")
	wantStatus(t, r, http.StatusOK)
	if got := withoutRequestID(t, r.body); got != `{"success":true}` {
		t.Errorf("answer = %s", got)
	}
	if ds := data(t, sf(t, s, "GET", "/api/v2/webhooks/"+id+"/deliveries", "")).([]any); len(ds) != 1 {
		t.Errorf("deliveries = %v", ds)
	}
	s.SetSellfernTestOmitsDelivery(false)
	if d, ok := data(t, sf(t, s, "POST", "/api/v2/webhooks/"+id+"/test", "")).(map[string]any); !ok || d["status_code"] != float64(200) {
		t.Errorf("answer after the switch is off = %v", d)
	}
	if n := s.Count("sellfern.test"); n != 2 {
		t.Errorf("sellfern.test counted %d calls, want 2", n)
	}
}
