package mockserver_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

// The rate limit on the bubble's clock: a bucket of R per credential and service; a 429 with Retry-After in whole
// seconds, rounded up; tokens that come while the bucket is full are counted as unused.
func TestRateLimitBucket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mockserver.New(mockserver.Options{RateLimit: mockserver.RateLimit{PerSecond: 2, Headers: true}})
		for i, want := range []int{200, 200, 429} {
			r := sf(t, s, http.MethodGet, "/api/v2/webhooks", "")
			if r.status != want {
				t.Fatalf("request %d: %d, want %d", i+1, r.status, want)
			}
			if want == 429 && r.header.Get("Retry-After") != "1" {
				t.Fatalf("a 429 with Retry-After %q, want 1 (0.5s rounded up)", r.header.Get("Retry-After"))
			}
		}
		// SelSup has its own bucket.
		if r := ss(t, s, http.MethodGet, "/api/webhook/", ""); r.status != 200 {
			t.Fatalf("SelSup after Sellfern's bucket ran dry: %d", r.status)
		}
		time.Sleep(5 * time.Second) // 10 tokens come, 2 fit: 8 unused
		if r := sf(t, s, http.MethodGet, "/api/v2/webhooks", ""); r.status != 200 || r.header.Get("RateLimit-Remaining") != "1" {
			t.Fatalf("after 5s: %d, remaining %q", r.status, r.header.Get("RateLimit-Remaining"))
		}
		if st := s.Stats(); st.Refused() != 1 || st.RateLimitUnused != 8 || st.RateLimitHeld != 0 {
			t.Fatalf("refused %d, unused %d, held %d; want 1, 8, 0", st.Refused(), st.RateLimitUnused, st.RateLimitHeld)
		}
	})
}

// A neighbour that holds the quota: from the credential's first request, every request is refused, with the
// Retry-After of one token (all the service knows), and counted as held; the bucket is empty when it ends.
func TestRateLimitNeighbourHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mockserver.New(mockserver.Options{RateLimit: mockserver.RateLimit{PerSecond: 4, NeighbourHold: 3 * time.Second}})
		for range 3 {
			r := sf(t, s, http.MethodGet, "/api/v2/webhooks", "")
			if r.status != 429 || r.header.Get("Retry-After") != "1" {
				t.Fatalf("during the hold: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
			}
			time.Sleep(time.Second)
		}
		// The hold ended at 3s: no token was kept, and one has come since.
		time.Sleep(250 * time.Millisecond)
		if r := sf(t, s, http.MethodGet, "/api/v2/webhooks", ""); r.status != 200 {
			t.Fatalf("just after the hold: %d", r.status)
		}
		if r := sf(t, s, http.MethodGet, "/api/v2/webhooks", ""); r.status != 429 {
			t.Fatalf("the bucket was not empty after the hold: %d", r.status)
		}
		if st := s.Stats(); st.RateLimitHeld != 3 || st.Refused() != 4 || st.RateLimitUnused != 0 {
			t.Fatalf("held %d, refused %d, unused %d; want 3, 4, 0", st.RateLimitHeld, st.Refused(), st.RateLimitUnused)
		}
	})
}

// A quota: Quota requests per window; the last one says so in its headers (remaining 0, the window's end), and
// the next is refused until the window ends.
func TestRateLimitQuota(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mockserver.New(mockserver.Options{RateLimit: mockserver.RateLimit{Quota: 2, QuotaWindow: 24 * time.Hour,
			Headers: true}})
		sf(t, s, http.MethodGet, "/api/v2/webhooks", "")
		last := sf(t, s, http.MethodGet, "/api/v2/webhooks", "")
		if last.status != 200 || last.header.Get("RateLimit-Remaining") != "0" || last.header.Get("RateLimit-Reset") != "86400" {
			t.Fatalf("the quota's last request: %d, %v", last.status, last.header)
		}
		time.Sleep(time.Hour)
		if r := sf(t, s, http.MethodGet, "/api/v2/webhooks", ""); r.status != 429 || r.header.Get("Retry-After") != "82800" {
			t.Fatalf("past the quota: %d, Retry-After %q; want 429, 82800", r.status, r.header.Get("Retry-After"))
		}
		time.Sleep(23 * time.Hour)
		if r := sf(t, s, http.MethodGet, "/api/v2/webhooks", ""); r.status != 200 {
			t.Fatalf("in the next window: %d", r.status)
		}
	})
}

// A hold may begin some time after the credential's first request: until then the bucket works as usual.
func TestRateLimitNeighbourHoldLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mockserver.New(mockserver.Options{RateLimit: mockserver.RateLimit{PerSecond: 1, NeighbourAfter: 2 * time.Second,
			NeighbourHold: 3 * time.Second}})
		for _, c := range []struct {
			wait time.Duration
			want int
		}{{0, 200}, {time.Second, 200}, {1500 * time.Millisecond, 429}, {2 * time.Second, 429}, {1500 * time.Millisecond, 200}} {
			time.Sleep(c.wait)
			if r := sf(t, s, http.MethodGet, "/api/v2/webhooks", ""); r.status != c.want {
				t.Fatalf("after %v more: %d, want %d", c.wait, r.status, c.want)
			}
		}
		if st := s.Stats(); st.RateLimitHeld != 2 {
			t.Fatalf("%d refusals counted in the hold, want 2", st.RateLimitHeld)
		}
	})
}
