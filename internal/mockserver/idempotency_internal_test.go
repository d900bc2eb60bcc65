package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Keys are kept 24 hours: after that the same key is a new one.
func TestIdempotencyKeysExpire(t *testing.T) {
	s := New(Options{Seed: 1})
	now := time.Now()
	s.sellfern.keys.now = func() time.Time { return now }
	send := func() int {
		req := httptest.NewRequest(http.MethodPost, "/sellfern/api/v2/webhooks",
			strings.NewReader(`{"url":"https://example.com/e","events":["order.created"]}`))
		req.Header.Set("Authorization", "Bearer "+DemoSellfernToken)
		req.Header.Set("Idempotency-Key", "day")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	send()
	now = now.Add(idempotencyLife - time.Second)
	send()
	if n := len(s.SellfernWebhooks()); n != 1 {
		t.Fatalf("within a day: %d webhooks, want 1", n)
	}
	now = now.Add(time.Second)
	if code := send(); code != http.StatusCreated || len(s.SellfernWebhooks()) != 2 {
		t.Fatalf("after a day: %d, %d webhooks; want a new one", code, len(s.SellfernWebhooks()))
	}
}
