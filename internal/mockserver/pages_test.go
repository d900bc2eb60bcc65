package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// Told to page in Sellfern's own style, the list holds the first page and says so with page, limit, a total and
// totalPages in meta, beside the request id.
func TestSellfernPageStyle(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	for _, u := range []string{"https://example.com/1", "https://example.com/2", "https://example.com/3"} {
		createSellfern(t, s, u, "order.created")
	}
	s.SetPageSize(2)
	s.SetSellfernPageStyle(true)
	r := sf(t, s, "GET", "/api/v2/webhooks", "")
	wantStatus(t, r, http.StatusOK)
	env := r.object(t)
	meta, _ := env["meta"].(map[string]any)
	if hooks, _ := env["data"].([]any); len(hooks) != 2 || meta["page"] != float64(1) || meta["limit"] != float64(2) ||
		meta["total"] != float64(3) || meta["totalPages"] != float64(2) || env["has_more"] != nil {
		t.Fatalf("page = %s", r.body)
	}
	withoutRequestID(t, r.body)

	// The other style, and no page at all once the size is lifted.
	s.SetSellfernPageStyle(false)
	if env := sf(t, s, "GET", "/api/v2/webhooks", "").object(t); env["has_more"] != true || env["next_cursor"] == nil {
		t.Fatalf("cursor style = %v", env)
	}
	s.SetPageSize(0)
	if got := len(sellfernList(t, s)); got != 3 {
		t.Fatalf("the whole list holds %d", got)
	}
}

// A list hint is added to every answer of its route as it is: Sellfern's body keys merged into the envelope
// (meta keeps its request id), headers on either service; other routes are untouched.
func TestListHint(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	createSellfern(t, s, "https://example.com/1", "order.created")
	s.SetListHint("sellfern.list", &mockserver.ListHint{Header: map[string]string{"X-Total-Count": "20"},
		Body: map[string]any{"meta": map[string]any{"pagination": map[string]any{"links": map[string]any{"next": "/p2"}}}}})
	s.SetListHint("selsup.list", &mockserver.ListHint{Header: map[string]string{"X-Total-Count": "5"}})

	r := sf(t, s, "GET", "/api/v2/webhooks", "")
	withoutRequestID(t, r.body)
	meta, _ := r.object(t)["meta"].(map[string]any)
	if next := meta["pagination"].(map[string]any)["links"].(map[string]any)["next"]; r.header.Get("X-Total-Count") != "20" ||
		next != "/p2" || len(sellfernList(t, s)) != 1 {
		t.Fatalf("hinted list = %s %v", r.body, r.header)
	}
	if r := ss(t, s, "GET", "/api/webhook/", ""); r.header.Get("X-Total-Count") != "5" || len(r.array(t)) != 0 {
		t.Fatalf("SelSup list = %s %v", r.body, r.header)
	}
	if r := sf(t, s, "GET", "/api/v2/webhooks/wh_x/deliveries", ""); r.header.Get("X-Total-Count") != "" {
		t.Fatalf("another route got the hint: %v", r.header)
	}
	s.SetListHint("sellfern.list", nil)
	if r := sf(t, s, "GET", "/api/v2/webhooks", ""); r.header.Get("X-Total-Count") != "" || r.object(t)["meta"].(map[string]any)["pagination"] != nil {
		t.Fatalf("the hint outlived its removal: %s", r.body)
	}
}

// Every Sellfern answer carries its own request id: successes, errors, injected faults and rate-limit refusals; the
// 403 missing_scope names the scope in its details.
func TestSellfernRequestIDs(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	seen := map[string]bool{}
	id := func(r resp) {
		t.Helper()
		meta, _ := r.object(t)["meta"].(map[string]any)
		v, _ := meta["request_id"].(string)
		if !requestIDPattern.MatchString(v) || seen[v] {
			t.Fatalf("request id %q (seen before: %v) in %s", v, seen[v], r.body)
		}
		seen[v] = true
	}
	id(sf(t, s, "GET", "/api/v2/webhooks", ""))
	id(serve(t, s, "GET", "/sellfern/api/v2/webhooks", "", ""))
	forbidden := serve(t, s, "GET", "/sellfern/api/v2/webhooks", "Bearer "+mockserver.NoScopeSellfernToken, "")
	id(forbidden)
	details, _ := forbidden.object(t)["error"].(map[string]any)["details"].(map[string]any)
	if details["required_scope"] != "webhooks:manage" {
		t.Fatalf("403 without the scope in its details: %s", forbidden.body)
	}
	id(sf(t, s, "GET", "/api/v2/nothing", ""))
	s.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault429}})
	id(sf(t, s, "GET", "/api/v2/webhooks", ""))
	s.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}})
	id(sf(t, s, "GET", "/api/v2/webhooks", ""))
	s.SetFaults(mockserver.FaultOptions{})
	s.SetRateLimit(mockserver.RateLimit{PerSecond: 0.001, Burst: 1})
	id(sf(t, s, "GET", "/api/v2/webhooks", ""))
	refused := sf(t, s, "GET", "/api/v2/webhooks", "")
	wantSellfernError(t, refused, http.StatusTooManyRequests, "rate_limited", "")
	id(refused)
}
