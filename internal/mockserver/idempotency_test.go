package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// keyed sends a Sellfern request with an Idempotency-Key, authorised with token.
func keyed(t *testing.T, s *mockserver.Server, token, key, method, path, body string) resp {
	t.Helper()
	req := httptest.NewRequest(method, "/sellfern"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

const keyedBody = `{"url":"https://example.com/k","events":["order.created"]}`

// The same key with the same request replays the stored answer, the one-time secret included, and does nothing
// again; white space and key order do not make another request.
func TestIdempotencyReplaysTheStoredAnswer(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	first := keyed(t, s, mockserver.DemoSellfernToken, "k1", "POST", "/api/v2/webhooks", keyedBody)
	wantStatus(t, first, http.StatusCreated)
	again := keyed(t, s, mockserver.DemoSellfernToken, "k1", "POST", "/api/v2/webhooks",
		` { "events": ["order.created"], "url": "https://example.com/k" } `)
	wantStatus(t, again, http.StatusCreated)
	if string(again.body) != string(first.body) || !strings.Contains(string(again.body), `"secret":"whsec_`) {
		t.Fatalf("replay %s, want the first answer %s", again.body, first.body)
	}
	if n := len(s.SellfernWebhooks()); n != 1 || len(s.IssuedSellfernSecrets()) != 1 {
		t.Fatalf("%d webhooks and %d secrets issued, want 1 and 1", n, len(s.IssuedSellfernSecrets()))
	}
	// Without a key, or with another one, the request is processed.
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "k2", "POST", "/api/v2/webhooks", keyedBody), http.StatusCreated)
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "", "POST", "/api/v2/webhooks", keyedBody), http.StatusCreated)
	if n := len(s.SellfernWebhooks()); n != 3 {
		t.Fatalf("%d webhooks, want 3", n)
	}
	if st := s.Stats(); st.Replayed["sellfern.create"] != 1 {
		t.Fatalf("replayed %v, want 1 create", st.Replayed)
	}
}

// The same key with another request is refused with 422 idempotency_conflict, and nothing is done; a key belongs
// to its credential.
func TestIdempotencyConflictAndCredentials(t *testing.T) {
	const other = "sk_test_other_scoped"
	s := mockserver.New(mockserver.Options{Seed: 1, SellfernTokens: map[string]bool{mockserver.DemoSellfernToken: true, other: true}})
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "k", "POST", "/api/v2/webhooks", keyedBody), http.StatusCreated)
	r := keyed(t, s, mockserver.DemoSellfernToken, "k", "POST", "/api/v2/webhooks", `{"url":"https://example.com/other","events":["order.created"]}`)
	wantSellfernError(t, r, http.StatusUnprocessableEntity, "idempotency_conflict", "different request")
	if n := len(s.SellfernWebhooks()); n != 1 {
		t.Fatalf("a conflicting request made a webhook: %d", n)
	}
	// Another credential's "k" is another key.
	wantStatus(t, keyed(t, s, other, "k", "POST", "/api/v2/webhooks", `{"url":"https://example.com/other","events":["order.created"]}`), http.StatusCreated)
	if st := s.Stats(); st.KeyConflicts["sellfern.create"] != 1 || len(s.SellfernWebhooks()) != 2 {
		t.Fatalf("conflicts %v, %d webhooks", st.KeyConflicts, len(s.SellfernWebhooks()))
	}
	long := strings.Repeat("k", 256)
	wantSellfernError(t, keyed(t, s, other, long, "POST", "/api/v2/webhooks", keyedBody), http.StatusBadRequest,
		"validation_error", "Idempotency-Key must be 1 to 255 characters")
}

// A fault after the webhook was stored keeps the answer under the key: the re-send gets the webhook and its secret.
// A fault before anything was stored keeps nothing: the re-send is processed.
func TestIdempotencyAfterFaults(t *testing.T) {
	only503 := []mockserver.FaultKind{mockserver.Fault503}
	s := mockserver.New(mockserver.Options{Seed: 1})
	s.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: only503, AfterCommitRatio: 1, Routes: []string{"sellfern.create"}})
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "after", "POST", "/api/v2/webhooks", keyedBody), http.StatusServiceUnavailable)
	stored := s.SellfernWebhooks()
	s.SetFaults(mockserver.FaultOptions{})
	r := keyed(t, s, mockserver.DemoSellfernToken, "after", "POST", "/api/v2/webhooks", keyedBody)
	wantStatus(t, r, http.StatusCreated)
	got := data(t, r).(map[string]any)
	if len(stored) != 1 || got["id"] != stored[0].ID || got["secret"] != stored[0].Secret || len(s.SellfernWebhooks()) != 1 {
		t.Fatalf("the re-send answered %v; the fault stored %+v; the mock holds %d", got, stored, len(s.SellfernWebhooks()))
	}

	s.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: only503, Routes: []string{"sellfern.create"}})
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "before", "POST", "/api/v2/webhooks", keyedBody), http.StatusServiceUnavailable)
	s.SetFaults(mockserver.FaultOptions{})
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "before", "POST", "/api/v2/webhooks", keyedBody), http.StatusCreated)
	if n := len(s.SellfernWebhooks()); n != 2 {
		t.Fatalf("%d webhooks, want 2", n)
	}
}

// A key whose request is still being processed (a late commit) answers 409 and does nothing; once the webhook is
// stored, the re-send gets it.
func TestIdempotencyKeyInFlight(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	s.SetLateCommits(1, 0)
	r := keyed(t, s, mockserver.DemoSellfernToken, "slow", "POST", "/api/v2/webhooks", keyedBody)
	wantStatus(t, r, http.StatusGatewayTimeout)
	if n := len(s.SellfernWebhooks()); n != 0 {
		t.Fatalf("a late create was stored at once: %d", n)
	}
	wantSellfernError(t, keyed(t, s, mockserver.DemoSellfernToken, "slow", "POST", "/api/v2/webhooks", keyedBody),
		http.StatusConflict, "idempotency_key_in_use", "still being processed")
	s.CommitLateNow()
	stored := s.SellfernWebhooks()
	r = keyed(t, s, mockserver.DemoSellfernToken, "slow", "POST", "/api/v2/webhooks", keyedBody)
	wantStatus(t, r, http.StatusCreated)
	if got := data(t, r).(map[string]any); len(stored) != 1 || got["id"] != stored[0].ID || got["secret"] != stored[0].Secret {
		t.Fatalf("after the late commit the re-send answered %v, the mock holds %+v", got, stored)
	}
	st := s.Stats()
	if st.KeyInUse["sellfern.create"] != 1 || st.LateCommits["sellfern.create"] != 1 || st.LateStored["sellfern.create"] != 1 {
		t.Fatalf("stats: in use %v, late %v, stored late %v", st.KeyInUse, st.LateCommits, st.LateStored)
	}
}

// Ignoring keys, as a proxy that drops the header would, every re-send is processed: a second webhook.
func TestIgnoreIdempotencyKeys(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	s.SetIgnoreIdempotencyKeys(true)
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "k", "POST", "/api/v2/webhooks", keyedBody), http.StatusCreated)
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "k", "POST", "/api/v2/webhooks", keyedBody), http.StatusCreated)
	if n := len(s.SellfernWebhooks()); n != 2 {
		t.Fatalf("%d webhooks, want 2", n)
	}
}

// PATCH and the test call honour keys too: a replayed test call sends no second event.
func TestIdempotencyOfUpdatesAndTests(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	id := createSellfern(t, s, "https://example.com/t", "order.created")["id"].(string)
	first := keyed(t, s, mockserver.DemoSellfernToken, "t", "POST", "/api/v2/webhooks/"+id+"/test", "")
	again := keyed(t, s, mockserver.DemoSellfernToken, "t", "POST", "/api/v2/webhooks/"+id+"/test", "")
	wantStatus(t, again, http.StatusOK)
	if string(first.body) != string(again.body) || len(s.SellfernDeliveries(id)) != 1 {
		t.Fatalf("the replayed test call sent %d events; answers %s / %s", len(s.SellfernDeliveries(id)), first.body, again.body)
	}
	wantStatus(t, keyed(t, s, mockserver.DemoSellfernToken, "u", "PATCH", "/api/v2/webhooks/"+id, `{"enabled":false}`), http.StatusOK)
	wantSellfernError(t, keyed(t, s, mockserver.DemoSellfernToken, "u", "PATCH", "/api/v2/webhooks/"+id, `{"enabled":true}`),
		http.StatusUnprocessableEntity, "idempotency_conflict", "")
	if w, _ := s.SellfernWebhook(id); w.Enabled {
		t.Fatal("a conflicting PATCH was applied")
	}
}

// A SelSup create answered late is stored only later: a list meanwhile does not show it.
func TestLateCommitSelSup(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	s.SetLateCommits(1, 0)
	r := ss(t, s, "POST", "/api/webhook/", `{"url":"https://example.com/a","types":["ORDER"]}`)
	wantStatus(t, r, http.StatusGatewayTimeout)
	if got := ss(t, s, "GET", "/api/webhook/", "").array(t); len(got) != 0 {
		t.Fatalf("the list shows a create not yet stored: %v", got)
	}
	// Only the next create was late.
	wantStatus(t, ss(t, s, "POST", "/api/webhook/", `{"url":"https://example.com/b","types":["ORDER"]}`), http.StatusOK)
	s.CommitLateNow()
	if n := len(s.SelSupWebhooks()); n != 2 {
		t.Fatalf("%d webhooks after the late commit, want 2", n)
	}
}
