package mockserver_test

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

var allSellfernEvents = []string{"order.created", "order.updated", "order.status_changed", "order.fulfillment.shipped",
	"order.fulfillment.delivered", "expense.created", "ticket.created", "ticket.updated"}

func TestShuffle(t *testing.T) {
	// The same seed and the same calls give the same answers; the order of
	// lists and arrays differs between calls, their content never does.
	run := func() (sellfern, selsup []string) {
		s := mockserver.New(mockserver.Options{Seed: 42, Shuffle: true})
		for i := range 6 {
			createSellfern(t, s, fmt.Sprintf("https://example.com/%d", i), allSellfernEvents...)
			createSelSup(t, s, fmt.Sprintf(`{"url":"https://example.com/%d","types":["CREATE_ORDER","ORDER","ORDER_STATUS","CREATE_PRODUCT"]}`, i))
		}
		for range 8 {
			// created_at is left out: two runs may straddle a second.
			var sig []string
			for _, w := range sellfernList(t, s) {
				sig = append(sig, fmt.Sprint(w["id"], w["url"], w["events"]))
			}
			sellfern = append(sellfern, strings.Join(sig, ";"))
			selsup = append(selsup, string(ss(t, s, "GET", "/api/webhook/", "").body))
		}

		// Content is the same in every list, whatever the order.
		want := s.SellfernWebhooks()
		var listOrderDiffers, eventsOrderDiffers bool
		for range 8 {
			list := sellfernList(t, s)
			if len(list) != len(want) {
				t.Fatalf("list has %d webhooks, want %d", len(list), len(want))
			}
			for i, w := range list {
				if w["id"] != want[i].ID {
					listOrderDiffers = true
				}
				events := toStrings(w["events"])
				if !slices.Equal(events, allSellfernEvents) {
					eventsOrderDiffers = true
				}
				slices.Sort(events)
				if !slices.Equal(events, sorted(allSellfernEvents)) {
					t.Errorf("events content changed: %v", events)
				}
			}
			ids := make([]string, len(list))
			for i, w := range list {
				ids[i] = w["id"].(string)
			}
			slices.Sort(ids)
			wantIDs := make([]string, len(want))
			for i, w := range want {
				wantIDs[i] = w.ID
			}
			if !slices.Equal(ids, sorted(wantIDs)) {
				t.Errorf("list content changed: %v", ids)
			}
		}
		if !listOrderDiffers || !eventsOrderDiffers {
			t.Errorf("shuffle had no visible effect (list %v, events %v)", listOrderDiffers, eventsOrderDiffers)
		}

		var typesOrderDiffers bool
		for range 8 {
			for _, w := range ss(t, s, "GET", "/api/webhook/", "").array(t) {
				types := toStrings(w["types"])
				if !slices.Equal(types, []string{"CREATE_ORDER", "ORDER", "ORDER_STATUS", "CREATE_PRODUCT"}) {
					typesOrderDiffers = true
				}
				if slices.Sort(types); !slices.Equal(types, []string{"CREATE_ORDER", "CREATE_PRODUCT", "ORDER", "ORDER_STATUS"}) {
					t.Errorf("types content changed: %v", types)
				}
			}
		}
		if !typesOrderDiffers {
			t.Error("SelSup types never shuffled")
		}

		// Shuffling never touches the stored order.
		s.SetShuffle(false)
		for i, w := range sellfernList(t, s) {
			if w["id"] != want[i].ID || !slices.Equal(toStrings(w["events"]), allSellfernEvents) {
				t.Errorf("unshuffled list[%d] = %v", i, w)
			}
		}
		return sellfern, selsup
	}
	sf1, ss1 := run()
	sf2, ss2 := run()
	if !slices.Equal(sf1, sf2) || !slices.Equal(ss1, ss2) {
		t.Error("the same seed gave different answers")
	}
}

func TestFaultRateAndShapes(t *testing.T) {
	const n, rate = 2000, 0.25
	s := mockserver.New(mockserver.Options{
		Seed: 7,
		Faults: mockserver.FaultOptions{
			Rate:       rate,
			Kinds:      []mockserver.FaultKind{mockserver.Fault503, mockserver.Fault429},
			RetryAfter: 1500 * time.Millisecond,
		},
	})
	seen := map[int]int{}
	for i := range n {
		var r resp
		if i%2 == 0 {
			r = sf(t, s, "GET", "/api/v2/webhooks", "")
		} else {
			r = ss(t, s, "GET", "/api/webhook/", "")
		}
		seen[r.status]++
		switch {
		case r.status == 200:
		case r.status == 429 && i%2 == 0:
			wantSellfernError(t, r, 429, "rate_limited", "")
		case r.status == 503 && i%2 == 0:
			wantSellfernError(t, r, 503, "service_unavailable", "")
		case r.status == 429:
			if got := compactJSON(t, r.body); got != `{"error":"TOO_MANY_REQUESTS"}` {
				t.Errorf("SelSup 429 body %s", got)
			}
		case r.status == 503:
			m := r.object(t)
			if m["error"] != "INTERNAL_ERROR" || m["message"] == "" || m["system"] == "" {
				t.Errorf("SelSup 503 body %s", r.body)
			}
		default:
			t.Fatalf("unexpected status %d: %s", r.status, r.body)
		}
		if r.status == 429 && r.header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After = %q, want 2 (1.5s rounded up)", r.header.Get("Retry-After"))
		}
	}
	faults := seen[503] + seen[429]
	if got := float64(faults) / n; math.Abs(got-rate) > 0.04 {
		t.Errorf("fault ratio %.3f, want about %.2f (%v)", got, rate, seen)
	}
	if seen[503] < faults/3 || seen[429] < faults/3 {
		t.Errorf("kinds not chosen uniformly: %v", seen)
	}
	st := s.Stats()
	if st.Faults[mockserver.Fault503] != seen[503] || st.Faults[mockserver.Fault429] != seen[429] || st.Faults[mockserver.FaultDrop] != 0 {
		t.Errorf("Stats.Faults = %v, saw %v", st.Faults, seen)
	}
	// Faulted requests are counted on their route too.
	if st.Requests["sellfern.list"] != n/2 || st.Requests["selsup.list"] != n/2 || st.Total != n {
		t.Errorf("Stats.Requests = %v, Total %d", st.Requests, st.Total)
	}

	// Switching faults off at run time takes effect at once.
	s.SetFaults(mockserver.FaultOptions{})
	for range 50 {
		wantStatus(t, sf(t, s, "GET", "/api/v2/webhooks", ""), http.StatusOK)
	}
}

func TestFault429DefaultRetryAfter(t *testing.T) {
	s := mockserver.New(mockserver.Options{Faults: mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault429}}})
	r := sf(t, s, "GET", "/api/v2/webhooks", "")
	wantStatus(t, r, http.StatusTooManyRequests)
	if got := r.header.Get("Retry-After"); got != "0" {
		t.Errorf("Retry-After = %q, want 0", got)
	}
}

func TestFaultsComeBeforeAuth(t *testing.T) {
	s := mockserver.New(mockserver.Options{Faults: mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}}})
	wantStatus(t, serve(t, s, "GET", "/sellfern/api/v2/webhooks", "", ""), http.StatusServiceUnavailable)
	wantStatus(t, serve(t, s, "GET", "/selsup/api/webhook/", "", ""), http.StatusServiceUnavailable)
	// Unknown routes inside a service are faulted too, in that service's shape.
	r := serve(t, s, "GET", "/sellfern/nope", "", "")
	wantSellfernError(t, r, 503, "service_unavailable", "")
}

func TestAfterCommitFaults(t *testing.T) {
	only503 := []mockserver.FaultKind{mockserver.Fault503}
	sfBody := `{"url":"https://example.com/a","events":["order.created"]}`
	ssBody := `{"url":"https://example.com/a","types":["ORDER"]}`

	t.Run("after commit: stored although the client sees an error", func(t *testing.T) {
		s := mockserver.New(mockserver.Options{Seed: 1, Faults: mockserver.FaultOptions{Rate: 1, Kinds: only503, AfterCommitRatio: 1}})
		wantSellfernError(t, sf(t, s, "POST", "/api/v2/webhooks", sfBody), 503, "service_unavailable", "")
		r := ss(t, s, "POST", "/api/webhook/", ssBody)
		wantStatus(t, r, http.StatusServiceUnavailable)
		if strings.Contains(string(r.body), "1001") {
			t.Errorf("the fault leaked the created webhook: %s", r.body)
		}
		if got := s.SellfernWebhooks(); len(got) != 1 || got[0].URL != "https://example.com/a" || got[0].Secret == "" {
			t.Errorf("Sellfern state = %+v", got)
		}
		if got := s.SelSupWebhooks(); len(got) != 1 || got[0].ID != 1001 {
			t.Errorf("SelSup state = %+v", got)
		}
		// Faults on other routes are never "after commit".
		wantStatus(t, sf(t, s, "GET", "/api/v2/webhooks", ""), http.StatusServiceUnavailable)
		// A create that the handler refuses stores nothing and does not count.
		wantStatus(t, sf(t, s, "POST", "/api/v2/webhooks", `{"url":"http://x"}`), http.StatusServiceUnavailable)
		st := s.Stats()
		if st.FaultsAfterCommit != 2 || st.Faults[mockserver.Fault503] != 4 {
			t.Errorf("stats = %+v", st)
		}
		if st.Requests["sellfern.create"] != 2 || st.Requests["selsup.create"] != 1 {
			t.Errorf("requests = %v", st.Requests)
		}
	})

	t.Run("before commit: nothing stored", func(t *testing.T) {
		s := mockserver.New(mockserver.Options{Seed: 1, Faults: mockserver.FaultOptions{Rate: 1, Kinds: only503}})
		wantStatus(t, sf(t, s, "POST", "/api/v2/webhooks", sfBody), http.StatusServiceUnavailable)
		wantStatus(t, ss(t, s, "POST", "/api/webhook/", ssBody), http.StatusServiceUnavailable)
		if len(s.SellfernWebhooks()) != 0 || len(s.SelSupWebhooks()) != 0 {
			t.Error("a before-commit fault stored a webhook")
		}
		if st := s.Stats(); st.FaultsAfterCommit != 0 || st.Faults[mockserver.Fault503] != 2 {
			t.Errorf("stats = %+v", st)
		}
	})

	t.Run("ratio", func(t *testing.T) {
		const n = 400
		s := mockserver.New(mockserver.Options{Seed: 3, Faults: mockserver.FaultOptions{Rate: 1, Kinds: only503, AfterCommitRatio: 0.5}})
		for i := range n {
			sf(t, s, "POST", "/api/v2/webhooks", fmt.Sprintf(`{"url":"https://example.com/%d","events":["order.created"]}`, i))
		}
		stored := len(s.SellfernWebhooks())
		if st := s.Stats(); st.FaultsAfterCommit != stored {
			t.Errorf("FaultsAfterCommit %d, stored %d", st.FaultsAfterCommit, stored)
		}
		if stored < n*4/10 || stored > n*6/10 {
			t.Errorf("%d of %d faulted creates stored, want about half", stored, n)
		}
	})
}

func TestDropClosesConnection(t *testing.T) {
	s := started(t, mockserver.Options{Seed: 1, Faults: mockserver.FaultOptions{
		Rate: 1, Kinds: []mockserver.FaultKind{mockserver.FaultDrop}, AfterCommitRatio: 1,
	}})
	r, err := httpDo(t, "POST", s.SellfernBaseURL()+"/api/v2/webhooks", sfAuth,
		`{"url":"https://example.com/a","events":["order.created"]}`)
	if err == nil {
		t.Fatalf("got a response (%d %s), want a transport error", r.status, r.body)
	}
	if _, err := httpDo(t, "GET", s.SelSupBaseURL()+"/api/webhook/", ssAuth, ""); err == nil {
		t.Fatal("SelSup request got a response, want a transport error")
	}
	// The dropped create was stored (after-commit), and both drops were counted.
	if got := s.SellfernWebhooks(); len(got) != 1 {
		t.Errorf("stored = %+v", got)
	}
	st := s.Stats()
	if st.Faults[mockserver.FaultDrop] != 2 || st.FaultsAfterCommit != 1 || st.Total != 2 {
		t.Errorf("stats = %+v", st)
	}

	// The server is still healthy once faults are off.
	s.SetFaults(mockserver.FaultOptions{})
	wantStatus(t, mustHTTP(t, "GET", s.SellfernBaseURL()+"/api/v2/webhooks", sfAuth), http.StatusOK)
}

func TestDropWithoutHijacker(t *testing.T) {
	// A ResponseRecorder cannot be hijacked; the mock aborts the handler the
	// way net/http expects, which the server turns into a closed connection.
	s := mockserver.New(mockserver.Options{Faults: mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{mockserver.FaultDrop}}})
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	sf(t, s, "GET", "/api/v2/webhooks", "")
}

func TestFaultOptionsNormalised(t *testing.T) {
	// Out-of-range values are clamped and unknown kinds ignored.
	s := mockserver.New(mockserver.Options{Faults: mockserver.FaultOptions{Rate: 7, Kinds: []mockserver.FaultKind{"500", mockserver.Fault503}, RetryAfter: -time.Second}})
	for range 20 {
		wantStatus(t, sf(t, s, "GET", "/api/v2/webhooks", ""), http.StatusServiceUnavailable)
	}
	s.SetFaults(mockserver.FaultOptions{Rate: -1})
	wantStatus(t, sf(t, s, "GET", "/api/v2/webhooks", ""), http.StatusOK)
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestFaultsLimitedToRoutes(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1, Faults: mockserver.FaultOptions{
		Rate: 1, Kinds: []mockserver.FaultKind{mockserver.Fault503}, Routes: []string{"sellfern.create"},
	}})
	for range 5 {
		wantStatus(t, sf(t, s, "GET", "/api/v2/webhooks", ""), http.StatusOK)
		wantStatus(t, sf(t, s, "POST", "/api/v2/webhooks", `{"url":"https://example.com/x","events":["order.created"]}`), http.StatusServiceUnavailable)
		wantStatus(t, ss(t, s, "POST", "/api/webhook/", `{"url":"https://example.com/x","types":["ORDER"]}`), http.StatusOK)
	}
	if got := s.Stats().Faults[mockserver.Fault503]; got != 5 {
		t.Errorf("%d faults, want 5 (creates only)", got)
	}
}
