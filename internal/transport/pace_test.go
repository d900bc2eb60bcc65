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

// A pause longer than what is left of the bound is not waited: the 429 comes back at once.
func TestRetryAfterBeyondTheBound(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(c *Config) { c.MaxElapsed = time.Minute })
	_, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusTooManyRequests || n.Load() != 1 {
		t.Fatalf("want the 429 after 1 request, got %v after %d", err, n.Load())
	}
	// Every later call of the process waits for the same pause, so it is refused before it is sent.
	_, err = c.Do(context.Background(), http.MethodGet, "x", nil, nil)
	var ne *NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, ErrNotSent) || !errors.Is(err, ErrPaced) || n.Load() != 1 ||
		!strings.Contains(err.Error(), "asked for a pause of 1h0m0s before further calls") {
		t.Fatalf("want a call not sent because of the pause, got %v after %d requests", err, n.Load())
	}
	if OutcomeUnknown(err) || Retryable(err) {
		t.Fatal("a call that was not sent made nothing")
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
