package sellfern

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// keysOf returns the Idempotency-Key of every request with the given method, in order.
func keysOf(rec *recorder, method string) []string {
	var keys []string
	for _, r := range rec.requests() {
		if r.Method == method {
			keys = append(keys, r.Header.Get("Idempotency-Key"))
		}
	}
	return keys
}

// Every POST and PATCH carries a key: one per operation, the same on each of its re-sends, never shared, even by
// two creates of identical webhooks. Reads and deletes carry none.
func TestEveryWriteCarriesItsOwnKey(t *testing.T) {
	m, rec, base := newMock(t)
	c := newClient(t, base, testToken, 4)
	ctx := context.Background()
	req := CreateRequest{URL: "https://h.example.com/same", Events: []string{"order.created"}}
	m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, AfterCommitRatio: 1,
		Routes: []string{"sellfern.create", "sellfern.update"}})
	m.OnRequest(func(route string) {
		if route == "sellfern.update" || (route == "sellfern.create" && len(keysOf(rec, http.MethodPost)) == 1) {
			m.SetFaults(mockserver.FaultOptions{}) // one lost answer each
		}
	})
	first, err := c.CreateWebhook(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	m.OnRequest(nil)
	second, err := c.CreateWebhook(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	creates := keysOf(rec, http.MethodPost)
	if len(creates) != 3 || creates[0] != creates[1] || creates[0] == creates[2] || !strings.HasPrefix(creates[0], "terraform-webhooks-create-") {
		t.Fatalf("create keys %q: want the first create's key twice (its re-send), then another", creates)
	}
	if first.Key != creates[0] || second.Key != creates[2] || first.ID == second.ID || len(m.SellfernWebhooks()) != 2 {
		t.Fatalf("created %s (%s) and %s (%s); the mock holds %d", first.ID, first.Key, second.ID, second.Key, len(m.SellfernWebhooks()))
	}
	// The first create's lost answer was replayed, secret included.
	if w, _ := m.SellfernWebhook(first.ID); w.Secret != first.Secret || !first.InDoubt {
		t.Fatalf("first create: secret matches %v, in doubt %v", w.Secret == first.Secret, first.InDoubt)
	}

	m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: []string{"sellfern.update"}})
	m.OnRequest(func(route string) {
		if route == "sellfern.update" && len(keysOf(rec, http.MethodPatch)) == 1 {
			m.SetFaults(mockserver.FaultOptions{})
		}
	})
	enabled := false
	for range 2 {
		if err := c.UpdateWebhook(ctx, first.ID, UpdateRequest{Enabled: &enabled}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SendTest(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	patches := keysOf(rec, http.MethodPatch)
	if len(patches) != 3 || patches[0] != patches[1] || patches[1] == patches[2] || !strings.HasPrefix(patches[0], "terraform-webhooks-update-") {
		t.Fatalf("update keys %q: want the first update's key on its retry, then another", patches)
	}
	posts := keysOf(rec, http.MethodPost)
	if test := posts[len(posts)-1]; !strings.HasPrefix(test, "terraform-webhooks-test-") {
		t.Fatalf("the test call carried %q", test)
	}
	if err := c.DeleteWebhook(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		for _, k := range keysOf(rec, method) {
			if k != "" {
				t.Fatalf("a %s carried key %q", method, k)
			}
		}
	}
}

// A late commit: the gateway answers 504 at once and Sellfern stores the webhook later. The re-sends with the key
// are told the key is in use (409) until then, and get the webhook with its secret after: one webhook, nothing
// deleted, no list needed to decide.
func TestLateCommitIsSettledByTheKey(t *testing.T) {
	m, rec, base := newMock(t)
	c := newClient(t, base, testToken, 4)
	m.SetLateCommits(1, 0)
	m.OnRequest(func(route string) {
		if route == "sellfern.create" && len(keysOf(rec, http.MethodPost)) == 3 {
			m.CommitLateNow() // stored while the second re-send is on its way
		}
	})
	w, err := c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/late", Events: []string{"order.created"}})
	if err != nil {
		t.Fatal(err)
	}
	held := m.SellfernWebhooks()
	st := m.Stats()
	if len(held) != 1 || held[0].ID != w.ID || held[0].Secret != w.Secret || st.Requests["sellfern.delete"] != 0 {
		t.Fatalf("got %s; the mock holds %+v; %d deletes", w.ID, held, st.Requests["sellfern.delete"])
	}
	if st.KeyInUse["sellfern.create"] != 1 || st.Replayed["sellfern.create"] != 1 || !w.InDoubt || len(w.Appeared) != 0 {
		t.Fatalf("409s %v, replays %v, %+v", st.KeyInUse, st.Replayed, w)
	}
}

// A service that ignores the key makes a second webhook for a re-send: it is named, never deleted.
func TestIgnoredKeyMakesASecondWebhookThatIsNamed(t *testing.T) {
	m, _, base := newMock(t)
	c := newClient(t, base, testToken, 4)
	m.SetIgnoreIdempotencyKeys(true)
	m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, AfterCommitRatio: 1,
		Routes: []string{"sellfern.create"}})
	m.OnRequest(func(route string) {
		if route == "sellfern.create" {
			m.OnRequest(nil)
			m.SetFaults(mockserver.FaultOptions{}) // the next create is answered (this one keeps the fault it drew)
		}
	})
	w, err := c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/ignored", Events: []string{"order.created"}})
	if err != nil {
		t.Fatal(err)
	}
	held := m.SellfernWebhooks()
	if len(held) != 2 || m.Count("sellfern.delete") != 0 {
		t.Fatalf("the mock holds %d webhooks after %d deletes, want 2 and none", len(held), m.Count("sellfern.delete"))
	}
	other := held[0].ID
	if other == w.ID {
		other = held[1].ID
	}
	if len(w.Appeared) != 1 || w.Appeared[0].ID != other {
		t.Fatalf("appeared %+v, want %s", w.Appeared, other)
	}
}

// 422 idempotency_conflict says what it means, and that the call made nothing.
func TestIdempotencyConflictMessage(t *testing.T) {
	var posts int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			io.WriteString(w, `{"success":true,"data":[]}`)
			return
		}
		posts++
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"success":false,"error":{"code":"idempotency_conflict","message":"Idempotency-Key was already used with a different request"}}`)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, testToken, 4)
	_, err := c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/c", Events: []string{"order.created"}})
	var ue *inventory.UnsettledError
	if errors.As(err, &ue) || posts != 1 {
		t.Fatalf("a 422 is definite: want it after 1 request, got %v after %d", err, posts)
	}
	wantFragments(t, checkMessage(t, err), []string{"Sellfern refused POST /api/v2/webhooks with HTTP 422 idempotency_conflict",
		"Its Idempotency-Key terraform-webhooks-create-", "had already been used with a different request",
		"so Sellfern did nothing with this one, and this call made nothing", "apply again"}, nil)
}

// A 409 to a keyed create is waited out within the create's bound, and no longer; the error says what may be left.
func TestKeyInUseIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			io.WriteString(w, `{"success":true,"data":[]}`)
			return
		}
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"success":false,"error":{"code":"idempotency_key_in_use","message":"still processing"}}`)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Token: testToken, Settings: transport.Settings{BaseURL: srv.URL, UserAgent: testUserAgent,
		MaxRetries: 1, MaxElapsed: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/busy", Events: []string{"order.created"}})
	var ue *inventory.UnsettledError
	if !errors.As(err, &ue) || ue.Sends < 3 {
		t.Fatalf("want an UnsettledError after several re-sends, got %v", err)
	}
	wantFragments(t, checkMessage(t, err), []string{"within 1s, the time allowed for one create", "HTTP 409 idempotency_key_in_use"}, nil)
}
