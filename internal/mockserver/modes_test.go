package mockserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

func TestAnswerReplacesTheRouteWithoutDoingItsWork(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	h := s.SellfernPut(mockserver.SellfernWebhook{URL: "https://a.example.com", Events: []string{"order.created"}, Enabled: true})
	s.SetAnswer("sellfern.delete", &mockserver.Answer{Body: `{"success":false}`})
	r := sf(t, s, http.MethodDelete, "/api/v2/webhooks/"+h.ID+"?confirm="+h.ID, "")
	if r.status != 200 || string(r.body) != `{"success":false}` {
		t.Fatalf("got %d %s", r.status, r.body)
	}
	if _, ok := s.SellfernWebhook(h.ID); !ok {
		t.Fatal("a canned answer must not carry the request out")
	}
	if s.Count("sellfern.delete") != 1 {
		t.Fatal("a canned answer is still counted")
	}
	s.SetAnswer("sellfern.delete", nil)
	if r := sf(t, s, http.MethodDelete, "/api/v2/webhooks/"+h.ID+"?confirm="+h.ID, ""); r.status != 200 || len(s.SellfernWebhooks()) != 0 {
		t.Fatalf("after clearing the answer: %d %s, %d webhooks", r.status, r.body, len(s.SellfernWebhooks()))
	}
}

func TestStallHoldsTheRequestUntilTheClientGivesUp(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	s.SetStall("selsup.list", true)
	ctx, cancel := context.WithCancel(context.Background())
	// The client gives up as soon as its request has arrived; a stalled route then returns with nothing written.
	s.OnRequest(func(string) { cancel() })
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/selsup/api/webhook/", nil)
	req.Header.Set("Authorization", ssAuth)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
		t.Fatalf("a stalled route answered: %d %q", rec.Code, rec.Body.String())
	}
	s.OnRequest(nil)
	s.SetStall("selsup.list", false)
	if r := ss(t, s, http.MethodGet, "/api/webhook/", ""); r.status != 200 {
		t.Fatalf("after the stall: %d %s", r.status, r.body)
	}
}

func TestNormalizeURLsStoresTheServicesSpelling(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	s.SetNormalizeURLs(true)
	r := sf(t, s, http.MethodPost, "/api/v2/webhooks", `{"url":"https://Hooks.Пример.РФ:443/Orders?A=1","events":["order.created"]}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if got := s.SellfernWebhooks()[0].URL; got != "https://hooks.xn--e1afmkfd.xn--p1ai/Orders?A=1" {
		t.Fatalf("stored %q", got)
	}
	r = ss(t, s, http.MethodPost, "/api/webhook/", `{"url":"http://Hooks.Example.com:80/x","types":["ORDER"]}`)
	if r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if got := s.SelSupWebhooks()[0].URL; got != "http://hooks.example.com/x" {
		t.Fatalf("stored %q", got)
	}
}

func TestCleanPathsResolvesEscapedSegments(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	victim := s.SellfernPut(mockserver.SellfernWebhook{ID: "victim", URL: "https://a.example.com", Events: []string{"order.created"}, Enabled: true})
	// Without the mode an escaped "/" stays inside its segment: there is no webhook by that id.
	if r := sf(t, s, http.MethodPatch, "/api/v2/webhooks/wh%2F..%2Fvictim", `{"enabled":false}`); r.status != 404 {
		t.Fatalf("strict routing: %d %s", r.status, r.body)
	}
	s.SetCleanPaths(true)
	if r := sf(t, s, http.MethodPatch, "/api/v2/webhooks/wh%2F..%2Fvictim", `{"enabled":false}`); r.status != 200 {
		t.Fatalf("cleaned routing: %d %s", r.status, r.body)
	}
	if got, _ := s.SellfernWebhook(victim.ID); got.Enabled {
		t.Fatal("the cleaned path did not reach the webhook it names")
	}
	if r := ss(t, s, http.MethodGet, "/api/webhook/", ""); r.status != 200 {
		t.Fatalf("a trailing slash survives cleaning: %d %s", r.status, r.body)
	}
}

func TestTwinIsMadeBesideEveryCreate(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	s.SetTwin(true, time.Minute)
	if r := sf(t, s, http.MethodPost, "/api/v2/webhooks", `{"url":"https://a.example.com","events":["order.created"]}`); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	hooks := s.SellfernWebhooks()
	if len(hooks) != 2 || len(s.Twins()) != 1 || s.Twins()[0] != hooks[0].ID || hooks[0].URL != hooks[1].URL {
		t.Fatalf("hooks %+v, twins %v", hooks, s.Twins())
	}
	if age := hooks[1].CreatedAt.Sub(hooks[0].CreatedAt); age < time.Minute {
		t.Fatalf("the twin was made %s before ours, want a minute", age)
	}
	if r := ss(t, s, http.MethodPost, "/api/webhook/", `{"url":"https://a.example.com","types":["ORDER"]}`); r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if len(s.SelSupWebhooks()) != 2 || len(s.Twins()) != 2 {
		t.Fatalf("SelSup: %d webhooks, twins %v", len(s.SelSupWebhooks()), s.Twins())
	}
}
