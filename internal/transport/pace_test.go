package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// bucketServer admits perSecond requests per second (a token bucket of burst), answers the rest 429 with
// Retry-After, and counts both.
func bucketServer(t *testing.T, perSecond float64, burst int) (*httptest.Server, *atomic.Int32, *atomic.Int32) {
	t.Helper()
	var ok, refused atomic.Int32
	bucket := rate.NewLimiter(rate.Limit(perSecond), burst)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if !bucket.Allow() {
			refused.Add(1)
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"error":"rate_limited"}`)
			return
		}
		ok.Add(1)
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &ok, &refused
}

// Ten workers that share one Client share one pace: after the first burst is refused, the rest goes at the
// service's rate, so refusals stay a small share of the calls, every call succeeds, and none of them spends a
// retry on a 429 (MaxRetries is 0).
func TestPaceIsSharedByEveryWorker(t *testing.T) {
	srv, ok, refused := bucketServer(t, 40, 40)
	c := newClient(t, srv.URL, func(c *Config) { c.MaxRetries = 0 })
	const workers, each = 10, 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				method := http.MethodGet
				if (w+i)%2 == 0 {
					method = http.MethodPost // a create too is sent again after a 429
				}
				if _, err := c.Do(context.Background(), method, "x", nil, map[string]int{"i": i}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if ok.Load() != workers*each {
		t.Fatalf("%d calls accepted, want %d", ok.Load(), workers*each)
	}
	if n := refused.Load(); n > workers*each/5 {
		t.Fatalf("%d refusals for %d calls: the workers did not share the pace", n, workers*each)
	}
	t.Logf("%d calls, %d refused, pace %s", ok.Load(), refused.Load(), c.pace.describe())
}

// A refused create is sent again with its body, and answers as if the first attempt had been accepted.
func TestRefusedCallIsSentAgainWithItsBody(t *testing.T) {
	var n atomic.Int32
	var bodies []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if n.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":1}`)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(c *Config) { c.MaxRetries = 0 })
	resp, err := c.Do(context.Background(), http.MethodPost, "x", nil, map[string]string{"url": "https://h.example.com"})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("got %v, %v", resp, err)
	}
	if len(bodies) != 3 || bodies[2] != `{"url":"https://h.example.com"}` || bodies[0] != bodies[2] {
		t.Fatalf("bodies %q, want the same body three times", bodies)
	}
}

// When the service keeps refusing, the call ends within its bound with the 429 and how often it was refused. It
// made nothing: not an unknown outcome, and not worth another attempt.
func TestRefusalsEndWithinTheBound(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(c *Config) { c.MaxElapsed = 1500 * time.Millisecond })
	_, err := c.Do(context.Background(), http.MethodPost, "x", nil, struct{}{})
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusTooManyRequests || se.Refusals < 2 || se.Bound != 1500*time.Millisecond {
		t.Fatalf("want a 429 StatusError after several refusals within 1.5s, got %v (%+v)", err, se)
	}
	if OutcomeUnknown(err) || Retryable(err) || RetryableCreate(err) {
		t.Fatalf("a 429 did nothing: OutcomeUnknown %v, Retryable %v", OutcomeUnknown(err), Retryable(err))
	}
	if int(n.Load()) != se.Refusals {
		t.Fatalf("%d requests, %d refusals counted", n.Load(), se.Refusals)
	}
}

// answering is a server that answers every request with status and header (and {}), and counts them.
func answering(t *testing.T, status int, header http.Header) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// A pause longer than what is left of the bound is not waited: the 429 comes back at once, saying how long the
// service asked for and what a wait that long means; every later call of the process waits for the same pause,
// so it is not sent, and says which answer asked for it. Retry-After is read in each form HTTP allows, and an
// absurd one is capped, never overflowed into a short wait.
func TestPauseBeyondTheBound(t *testing.T) {
	// The service's Date header is the clock an HTTP date in Retry-After is read against; it is fixed here, as a
	// server's own would tick to the next second between the test's clock and the answer now and then.
	now := time.Now().UTC().Truncate(time.Second)
	for _, c := range []struct {
		name, retryAfter string
		first, later     string
	}{
		{"a daily quota", "86400",
			"and asked to wait 1 day (Retry-After: 86400), longer than the 3m0s allowed for one call, so it did " +
				"nothing. A wait that long looks like a quota (for the hour or the day) or a long block, not a pace to " +
				"keep to: try again once it is over",
			"not sent: Test answered an earlier call (GET /x) with HTTP 429 and Retry-After: 86400, a pause of 1 day " +
				"before further calls; 1 day of it is left, more than is left of the 3m0s allowed for this call. A wait " +
				"that long looks like a quota (for the hour or the day) or a long block, not a pace to keep to: try " +
				"again once it is over"},
		{"a value past any duration", "18446744074",
			"and asked to wait more than 366 days (Retry-After: 18446744074), longer than the 3m0s allowed",
			"with HTTP 429 and Retry-After: 18446744074, a pause of more than 366 days before further calls"},
		{"an RFC 850 date", now.Add(2 * time.Hour).UTC().Format(time.RFC850),
			"and asked to wait 2h0m0s (Retry-After: " + now.Add(2*time.Hour).UTC().Format(time.RFC850) + "), longer than",
			"a pause of 2h0m0s before further calls; 2h0m0s of it is left"},
		{"an asctime date", now.Add(time.Hour).UTC().Format(time.ANSIC),
			"and asked to wait 1h0m0s (Retry-After: ",
			"a pause of 1h0m0s before further calls"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, n := answering(t, http.StatusTooManyRequests, http.Header{"Retry-After": {c.retryAfter},
				"Date": {now.Format(http.TimeFormat)}})
			cl := newClient(t, srv.URL, func(c *Config) { c.MaxElapsed = 3 * time.Minute })
			_, err := cl.Do(context.Background(), http.MethodGet, "x", nil, nil)
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != http.StatusTooManyRequests || n.Load() != 1 {
				t.Fatalf("want the 429 after 1 request, got %v after %d", err, n.Load())
			}
			if text := se.TooManyRequests("a ceiling"); !strings.Contains(text, c.first) || strings.Contains(text, "parallelism") {
				t.Fatalf("the 429 says\n%s\nwant\n%s", text, c.first)
			}
			_, err = cl.Do(context.Background(), http.MethodGet, "x", nil, nil)
			var ne *NetworkError
			if !errors.As(err, &ne) || !errors.Is(err, ErrNotSent) || !errors.Is(err, ErrPaced) || n.Load() != 1 ||
				!strings.Contains(err.Error(), c.later) {
				t.Fatalf("want a call not sent because of the pause, saying\n%s\ngot\n%v\nafter %d requests", c.later, err,
					n.Load())
			}
			if OutcomeUnknown(err) || Retryable(err) {
				t.Fatal("a call that was not sent made nothing")
			}
		})
	}
}

// A success whose rate headers say the quota is spent pauses the calls until it resets; the calls it stops say
// so, and never cite a 429 that did not come. A reset too far to hold in a duration is capped.
func TestQuotaSpentOnASuccess(t *testing.T) {
	for _, c := range []struct {
		name           string
		header         http.Header
		want           string
		wantNotPrinted string
	}{
		{"an hour away", http.Header{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"3600"}},
			"not sent: Test accepted an earlier call (GET /x, HTTP 200), but its rate-limit headers " +
				"(RateLimit-Remaining: 0, RateLimit-Reset: 3600) said the quota is spent for 1h0m0s; 1h0m0s of it is " +
				"left, more than is left of the 3m0s allowed for this call. A wait that long looks like a quota", ""},
		{"a Unix time centuries away", http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"99999999999999"}},
			"(X-RateLimit-Remaining: 0, X-RateLimit-Reset: 99999999999999) said the quota is spent for more than 366 days",
			"2562047h"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, n := answering(t, http.StatusOK, c.header)
			cl := newClient(t, srv.URL, func(c *Config) { c.MaxElapsed = 3 * time.Minute })
			if _, err := cl.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
				t.Fatal(err)
			}
			_, err := cl.Do(context.Background(), http.MethodGet, "x", nil, nil)
			if !errors.Is(err, ErrPaced) || n.Load() != 1 || !strings.Contains(err.Error(), c.want) ||
				strings.Contains(err.Error(), "429") || (c.wantNotPrinted != "" && strings.Contains(err.Error(), c.wantNotPrinted)) {
				t.Fatalf("got\n%v\nafter %d requests; want\n%s", err, n.Load(), c.want)
			}
		})
	}
}

// A call refused until its bound ran out says how often, and what that means: the limit is taken by others.
func TestRefusedUntilTheBound(t *testing.T) {
	se := &StatusError{StatusCode: http.StatusTooManyRequests, Refusals: 37, Bound: 3 * time.Minute,
		Header: http.Header{"Retry-After": {"1"}}}
	want := "37 times, waiting each time as long as it asked, until the 3m0s allowed for one call ran out, so it " +
		"did nothing: other clients of the account (other runs, or other tools with the same credential) are using " +
		"its whole rate limit. Nothing was made: try again when they are done, or set a ceiling in each run to its " +
		"share of the account's limit"
	if got := se.TooManyRequests("a ceiling"); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// requests_per_second is a ceiling: calls are spaced at least 1/R apart (a lower bound, which a loaded machine
// only widens), and a call whose turn comes after its bound is not sent.
func TestCeiling(t *testing.T) {
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(c *Config) { c.RequestsPerSecond = 20 })
	for range 5 {
		if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < len(arrivals); i++ {
		if gap := arrivals[i].Sub(arrivals[i-1]); gap < 40*time.Millisecond {
			t.Fatalf("calls %d and %d came %v apart, want at least 50ms at 20 per second", i, i+1, gap)
		}
	}

	slow := newClient(t, srv.URL, func(c *Config) { c.RequestsPerSecond = 0.5; c.MaxElapsed = time.Second })
	if _, err := slow.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
		t.Fatal(err)
	}
	_, err := slow.Do(context.Background(), http.MethodGet, "x", nil, nil)
	if !errors.Is(err, ErrPaced) || !strings.Contains(err.Error(), "waiting its turn at Test's pace (0.5 requests per second, the configured ceiling)") {
		t.Fatalf("want a call not sent for its turn, got %v", err)
	}
	if _, err := New(Config{Settings: Settings{BaseURL: srv.URL, RequestsPerSecond: -1}}); err == nil {
		t.Fatal("a negative ceiling was accepted")
	}
}

// A service that says its quota is spent (RateLimit-Remaining: 0) pauses the calls until the quota resets, so
// that the next call is not refused.
func TestRateLimitHeadersPause(t *testing.T) {
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		first := len(arrivals) == 1
		mu.Unlock()
		if first {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "1")
		}
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	for range 2 {
		if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if gap := arrivals[1].Sub(arrivals[0]); gap < 900*time.Millisecond {
		t.Fatalf("the second call came %v after a quota said to be spent for 1s", gap)
	}
}

// paceStateClock is what the paceState tests share: a start, the time d after it, a 429's Retry-After of one
// second, and a comparison of rates to a hundredth.
func paceStateClock() (t0 time.Time, at func(time.Duration) time.Time, retry1 http.Header, near func(got, want float64) bool) {
	t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	return t0, func(d time.Duration) time.Time { return t0.Add(d) }, http.Header{"Retry-After": {"1"}},
		func(got, want float64) bool { return got > want-0.01 && got < want+0.01 }
}

// The pace's learning, on its own clock.
func TestPaceStateLearns(t *testing.T) {
	t0, at, retry1, near := paceStateClock()

	// The first refusal: what was accepted in the second before it, the calls still in flight included, lowered
	// by lowerBy; a refusal of a call sent before that changes nothing.
	var s paceState
	for i := range 4 {
		s.accept(at(time.Duration(i)*100*time.Millisecond), at(time.Duration(i)*100*time.Millisecond), nil, 200, "GET /x")
	}
	for i, sent := range []time.Duration{380 * time.Millisecond, 390 * time.Millisecond, 400 * time.Millisecond} {
		s.depart(uint64(i+1), at(sent))
	}
	if pause, all := s.refuse(at(400*time.Millisecond), at(420*time.Millisecond), retry1, "GET /x"); pause != time.Second || all {
		t.Fatalf("pause %v for every call %v; want 1s for the refused call only", pause, all)
	}
	if !near(s.Max, 7) || !near(s.Rate, 4.9) || s.Mode != modeClimb {
		t.Fatalf("after the first refusal: max %v, rate %v, %s; want 7, 4.9, climbing", s.Max, s.Rate, s.Mode)
	}
	// A call it counted as accepted while in flight comes back refused: it is taken out of the estimate; one that
	// comes back accepted changes nothing.
	s.land(3, false)
	s.land(1, true)
	if !near(s.Max, 6) || !near(s.Rate, 4.2) || s.Mode != modeClimb {
		t.Fatalf("after a counted call was refused: max %v, rate %v, %s; want 6, 4.2, climbing", s.Max, s.Rate, s.Mode)
	}
	s.refuse(at(410*time.Millisecond), at(430*time.Millisecond), retry1, "GET /x")
	if !near(s.Rate, 4.2) {
		t.Fatalf("a refusal of a call sent before the decrease lowered the rate to %v", s.Rate)
	}
	// The climb: back to the rate refused in backCalls accepted calls (or backTime), then beyond it.
	for i := range int(backCalls) {
		s.accept(at(time.Second+time.Duration(i)*time.Millisecond), at(time.Second), nil, 200, "GET /x")
	}
	if r := s.learned(at(time.Second)); !near(r, 6) {
		t.Fatalf("after %v calls the rate is %v, want back at 6", backCalls, r)
	}
	if r := s.learned(at(420*time.Millisecond + backTime + probeTime)); !near(r, 6*(1+(1-lowerBy))) {
		t.Fatalf("a probeTime beyond, the rate is %v, want 7.8", r)
	}
	// Refused below the rate refused before: a rate between the two is remembered (fast convergence).
	s.refuse(at(2*time.Second), at(2*time.Second), retry1, "GET /x")
	s.accept(at(3*time.Second), at(3*time.Second), nil, 200, "GET /x")
	current := s.learned(at(4 * time.Second))
	s.refuse(at(4*time.Second), at(4*time.Second), retry1, "GET /x")
	if !near(s.Max, current*(1+lowerBy)/2) || !near(s.Rate, current*lowerBy) {
		t.Fatalf("refused at %v below the rate refused before: max %v, rate %v", current, s.Max, s.Rate)
	}

	// Refused before anything was accepted (another client holds the quota): one call per pause, lowered, and
	// lower with each refusal in a row; the rate to climb back to stays.
	var b paceState
	b.refuse(t0, t0, retry1, "GET /x")
	if !near(b.Max, 1) || !near(b.Rate, 0.7) || b.Mode != modeBlocked {
		t.Fatalf("refused at once: max %v, rate %v, %s; want 1, 0.7, blocked", b.Max, b.Rate, b.Mode)
	}
	b.refuse(at(2*time.Second), at(2*time.Second), retry1, "GET /x")
	b.refuse(at(4*time.Second), at(4*time.Second), retry1, "GET /x")
	if !near(b.Rate, 0.343) || !near(b.Max, 1) {
		t.Fatalf("refused three times in a row: rate %v, max %v; want 0.343, 1", b.Rate, b.Max)
	}
	// Accepted again after a block of 7s (more than blockedIntervals of the rate that worked): the rate doubles
	// every doubleEvery until it is refused, up to twice the rate to climb back to (a hundred times, when that was
	// a guess).
	b.accept(at(7*time.Second), at(7*time.Second), nil, 200, "GET /x")
	if b.Mode != modeRestart || !near(b.learned(at(7*time.Second+doubleEvery)), 0.686) {
		t.Fatalf("after a block: %s at %v; want restarting, doubled", b.Mode, b.learned(at(7*time.Second+doubleEvery)))
	}
	if r := b.learned(at(time.Minute)); !near(r, 100) || b.Mode != modeClimb {
		t.Fatalf("a minute later the rate is %v, %s; want a hundred times the guess, climbing", r, b.Mode)
	}
	s.refuse(at(5*time.Second), at(5*time.Second), retry1, "GET /x")
	s.refuse(at(9*time.Second), at(9*time.Second), retry1, "GET /x")
	refused := s.Max
	s.accept(at(10*time.Second), at(10*time.Second), nil, 200, "GET /x")
	if r := s.learned(at(time.Minute)); !near(r, 2*refused) {
		t.Fatalf("after a block, a rate learned from refusals doubles to %v; want twice the rate refused, %v", r, 2*refused)
	}
}

// A limit refused again at about the same rate holds steady: the climb goes back to a little under it, and its
// time units double, up to the time their calls take, so that a slow limit is probed as rarely in calls as a fast
// one. A refusal clearly below it (someone arrived) makes room, and the units are short again.
func TestPaceStateSteadyLimit(t *testing.T) {
	t0, at, retry1, near := paceStateClock()
	var s paceState
	s.accept(t0, t0, nil, 200, "GET /x")
	s.refuse(at(20*time.Millisecond), at(40*time.Millisecond), retry1, "GET /x")
	if !near(s.Max, 1) || !near(s.Rate, 0.7) {
		t.Fatalf("first estimate: max %v, rate %v; want 1, 0.7", s.Max, s.Rate)
	}
	back, probe := s.units()
	if back != 12*time.Second || probe != probeTime {
		t.Fatalf("units before the limit proved steady: %s and %s; want 12s (half the time of backCalls) and %s",
			back, probe, probeTime)
	}
	// Refused again at the rate refused before, once the climb is back there.
	s.accept(at(time.Second), at(time.Second), nil, 200, "GET /x")
	when := at(40*time.Millisecond + back)
	if r := s.learned(when); !near(r, 1) {
		t.Fatalf("the climb is at %v after %s, want back at 1", r, back)
	}
	s.refuse(when, when, retry1, "GET /x")
	if s.Steady != 1 || !near(s.Max, 1-steadyBelow) {
		t.Fatalf("refused again at 1: steady %d, max %v; want 1, %v", s.Steady, s.Max, 1-steadyBelow)
	}
	back, probe = s.units()
	if want := perSecond(s.Max) * time.Duration(backCalls); back != want || probe != 2*probeTime {
		t.Fatalf("units of a steady limit: %s and %s; want %s (the time of backCalls) and %s", back, probe, want,
			2*probeTime)
	}
	// Refused clearly below it: another client arrived.
	s.accept(when.Add(time.Second), when.Add(time.Second), nil, 200, "GET /x")
	current := s.learned(when.Add(2 * time.Second))
	s.refuse(when.Add(2*time.Second), when.Add(2*time.Second), retry1, "GET /x")
	if s.Steady != 0 || !near(s.Max, current*(1+lowerBy)/2) {
		t.Fatalf("refused at %v, well below: steady %d, max %v; want 0, %v", current, s.Steady, s.Max,
			current*(1+lowerBy)/2)
	}
	if back, probe = s.units(); back > 15*time.Second || probe != probeTime {
		t.Fatalf("units after a change: %s and %s; want short ones again", back, probe)
	}
}
