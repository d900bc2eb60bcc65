package mockserver_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// TestJournal: the API's successful creates, deletes and test events are entered in the order they happened,
// with ids and URLs; refused requests and what tests store or delete directly are not.
func TestJournal(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	create := func(url string) string {
		t.Helper()
		r := sf(t, s, "POST", "/api/v2/webhooks", fmt.Sprintf(`{"url":%q,"events":["order.created"]}`, url))
		wantStatus(t, r, http.StatusCreated)
		return r.object(t)["data"].(map[string]any)["id"].(string)
	}
	outside := s.SellfernPut(mockserver.SellfernWebhook{URL: "https://example.com/outside", Events: []string{"order.created"}})
	old := create("https://example.com/a")
	replacement := create("https://example.com/a")
	wantStatus(t, sf(t, s, "POST", "/api/v2/webhooks/"+replacement+"/test", ""), http.StatusOK)
	wantStatus(t, sf(t, s, "DELETE", "/api/v2/webhooks/"+old+"?confirm=wrong", ""), http.StatusBadRequest)
	wantStatus(t, sf(t, s, "DELETE", "/api/v2/webhooks/"+old+"?confirm="+old, ""), http.StatusOK)
	wantStatus(t, sf(t, s, "DELETE", "/api/v2/webhooks/"+old+"?confirm="+old, ""), http.StatusNotFound)
	wantStatus(t, sf(t, s, "POST", "/api/v2/webhooks", `{"url":"http://example.com/b","events":["order.created"]}`), http.StatusBadRequest)
	s.SellfernDelete(outside.ID)
	wantStatus(t, ss(t, s, "POST", "/api/webhook/", `{"name":"a","url":"https://example.com/s","types":["ORDER"]}`), http.StatusOK)
	wantStatus(t, ss(t, s, "DELETE", "/api/webhook/1001", ""), http.StatusOK)
	wantStatus(t, ss(t, s, "DELETE", "/api/webhook/1001", ""), http.StatusNotFound)

	want := []mockserver.JournalEntry{
		{Seq: 1, Service: "sellfern", Op: mockserver.JournalCreate, ID: old, URL: "https://example.com/a"},
		{Seq: 2, Service: "sellfern", Op: mockserver.JournalCreate, ID: replacement, URL: "https://example.com/a"},
		{Seq: 3, Service: "sellfern", Op: mockserver.JournalTest, ID: replacement, URL: "https://example.com/a"},
		{Seq: 4, Service: "sellfern", Op: mockserver.JournalDelete, ID: old, URL: "https://example.com/a"},
		{Seq: 5, Service: "selsup", Op: mockserver.JournalCreate, ID: "1001", URL: "https://example.com/s"},
		{Seq: 6, Service: "selsup", Op: mockserver.JournalDelete, ID: "1001", URL: "https://example.com/s"},
	}
	got := s.Journal()
	if !slices.Equal(got, want) {
		t.Fatalf("journal:\n got %+v\nwant %+v", got, want)
	}
	if i := mockserver.JournalIndex(got, "sellfern", mockserver.JournalDelete, old); i != 3 {
		t.Errorf("JournalIndex of the delete = %d, want 3", i)
	}
	if i := mockserver.JournalIndex(got, "sellfern", mockserver.JournalDelete, replacement); i != -1 {
		t.Errorf("JournalIndex of a delete that never happened = %d, want -1", i)
	}
}

// TestJournalAfterCommitFault: a create whose answer a fault dropped after the webhook was stored is entered, since
// the service made it; one faulted before anything was stored is not.
func TestJournalAfterCommitFault(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1, Faults: mockserver.FaultOptions{
		Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, AfterCommitRatio: 1, Routes: []string{"sellfern.create"},
	}})
	wantStatus(t, sf(t, s, "POST", "/api/v2/webhooks", `{"url":"https://example.com/a","events":["order.created"]}`), http.StatusServiceUnavailable)
	stored := s.SellfernWebhooks()
	if len(stored) != 1 {
		t.Fatalf("the mock holds %d webhooks, want 1", len(stored))
	}
	if got := s.Journal(); len(got) != 1 || got[0].Op != mockserver.JournalCreate || got[0].ID != stored[0].ID {
		t.Errorf("journal = %+v, want the create of %s", got, stored[0].ID)
	}

	s.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: []string{"sellfern.create"}})
	wantStatus(t, sf(t, s, "POST", "/api/v2/webhooks", `{"url":"https://example.com/b","events":["order.created"]}`), http.StatusServiceUnavailable)
	if got := s.Journal(); len(got) != 1 {
		t.Errorf("a create faulted before commit was entered: %+v", got)
	}
}
