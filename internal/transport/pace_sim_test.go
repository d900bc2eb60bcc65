package transport

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// simService is a service in a synctest bubble, so on the bubble's fake clock: it admits rate calls per second
// per account as a token bucket of burst (the mock's rule), answers the rest 429 with Retry-After (whole seconds
// until a token, rounded up), and takes latency per call. A neighbour may hold the whole quota for a while.
type simService struct {
	rate, burst float64
	latency     time.Duration
	headers     bool

	start            time.Time
	mu               sync.Mutex
	tokens           float64
	last             time.Time
	holdFrom, holdTo time.Time
	trace            func(format string, args ...any)
	requests         int
	refused          int
	refusedInHold    int
	sends            []time.Time
}

func newSimService(rate float64) *simService {
	return &simService{rate: rate, burst: math.Ceil(rate), tokens: math.Ceil(rate), latency: 20 * time.Millisecond,
		last: time.Now(), start: time.Now()}
}

func (s *simService) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	time.Sleep(s.latency / 2)
	s.mu.Lock()
	now := time.Now()
	s.tokens = min(s.burst, s.tokens+now.Sub(s.last).Seconds()*s.rate)
	s.last = now
	held := !now.Before(s.holdFrom) && now.Before(s.holdTo)
	if held {
		s.tokens = 0 // the neighbour takes every token as it comes
	}
	s.requests++
	s.sends = append(s.sends, now)
	ok := s.tokens >= 1
	if ok {
		s.tokens--
	} else {
		s.refused++
		if held {
			s.refusedInHold++
		}
	}
	h := http.Header{}
	// During a hold the service knows only that a token comes in one interval; the neighbour then takes it.
	wait := (1 - s.tokens) / s.rate
	if s.headers {
		h.Set("RateLimit-Remaining", strconv.Itoa(int(s.tokens)))
		h.Set("RateLimit-Reset", strconv.Itoa(int(math.Ceil(max(wait, 0)))))
	}
	if s.trace != nil {
		s.trace("%6.2fs %s %v tokens %.2f", now.Sub(s.start).Seconds(), req.Header.Get("X-Run"), ok, s.tokens)
	}
	s.mu.Unlock()
	time.Sleep(s.latency / 2)
	status := http.StatusOK
	if !ok {
		status = http.StatusTooManyRequests
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait))))
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}, nil
}

// simRun is one Terraform run: for each service, a list, then calls[i] calls by ten workers, through one Client
// per service (a pace of its own: the runs are on different machines). The services are worked on at once, as
// Terraform does.
type simRun struct {
	calls []int
	start time.Duration // after the bubble's start
	took  time.Duration
	err   error
}

// simulate runs the runs against the services and returns when all are done.
func simulate(t *testing.T, svcs []*simService, runs []*simRun, oneMachine bool, settings func(*Settings)) {
	t.Helper()
	var wg sync.WaitGroup
	shared := map[string]paceStore{}
	for i, r := range runs {
		var clients []*Client
		for k, svc := range svcs {
			tag := &tagged{next: svc, tag: strconv.Itoa(i)}
			s := Settings{BaseURL: "http://127.0.0.1:" + strconv.Itoa(9+k), HTTPClient: &http.Client{Transport: tag}}
			if oneMachine {
				s.Paces = &Paces{run: strconv.Itoa(i), paces: map[string]*pace{}, mem: shared}
			}
			if settings != nil {
				settings(&s)
			}
			c, err := New(Config{Settings: s, Service: "Sim"})
			if err != nil {
				t.Fatal(err)
			}
			tag.pace = c.pace
			clients = append(clients, c)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(r.start)
			started := time.Now()
			var mu sync.Mutex
			fail := func(err error) {
				mu.Lock()
				r.err = err
				mu.Unlock()
			}
			var services sync.WaitGroup
			for k, c := range clients {
				services.Add(1)
				go func() {
					defer services.Done()
					if _, err := c.Do(context.Background(), http.MethodGet, "list", nil, nil); err != nil {
						fail(err)
						return
					}
					jobs := make(chan int, r.calls[k])
					for i := range r.calls[k] {
						jobs <- i
					}
					close(jobs)
					var workers sync.WaitGroup
					for range 10 / len(clients) {
						workers.Add(1)
						go func() {
							defer workers.Done()
							for range jobs {
								if _, err := c.Do(context.Background(), http.MethodPost, "create", nil, struct{}{}); err != nil {
									fail(err)
								}
							}
						}()
					}
					workers.Wait()
				}()
			}
			services.Wait()
			r.took = time.Since(started)
		}()
	}
	wg.Wait()
}

// simReport is what a simulation shows: the slowest run against the floor (the accepted calls of the busiest
// service at its rate), and the share of refusals over all services.
func simReport(svcs []*simService, runs []*simRun) (ratio, refusedShare float64, text string) {
	var floor time.Duration
	requests, refused := 0, 0
	for _, svc := range svcs {
		floor = max(floor, time.Duration(float64(svc.requests-svc.refused)/svc.rate*float64(time.Second)))
		requests += svc.requests
		refused += svc.refused
	}
	var slowest time.Duration
	var walls []string
	for _, r := range runs {
		slowest = max(slowest, r.start+r.took)
		walls = append(walls, fmt.Sprintf("%.1fs", r.took.Seconds()))
	}
	ratio = slowest.Seconds() / floor.Seconds()
	refusedShare = float64(refused) / float64(requests)
	return ratio, refusedShare, fmt.Sprintf("requests %d, refused %d (%.0f%%), floor %.1fs, runs %s, slowest/floor %.2fx",
		requests, refused, 100*refusedShare, floor.Seconds(), strings.Join(walls, " "), ratio)
}

func TestPaceSimulation(t *testing.T) {
	for _, oneMachine := range []bool{false, true} {
		for _, c := range []struct {
			name  string
			rate  float64
			runs  int
			calls []int
		}{
			{"one run 30+10 at 5/s", 5, 1, []int{30, 10}},
			{"three runs 30+10 at 5/s", 5, 3, []int{30, 10}},
			{"three runs of 20 at 1/s", 1, 3, []int{20}},
			{"five runs 60 at 10/s", 10, 5, []int{60}},
			{"two runs 100 at 20/s", 20, 2, []int{100}},
		} {
			name := c.name
			if oneMachine {
				name += " (one machine)"
			}
			t.Run(name, func(t *testing.T) {
				var worstRatio, worstShare, sumRatio, sumShare float64
				const seeds = 6
				defer func() {
					t.Logf("SUMMARY %-38s mean ratio %.2f worst %.2f, mean refused %.0f%% worst %.0f%%", name, sumRatio/seeds, worstRatio, 100*sumShare/seeds, 100*worstShare)
				}()
				for range seeds {
					synctest.Test(t, func(t *testing.T) {
						var svcs []*simService
						for range c.calls {
							svcs = append(svcs, newSimService(c.rate))
						}
						var runs []*simRun
						for range c.runs {
							runs = append(runs, &simRun{calls: c.calls})
						}
						simulate(t, svcs, runs, oneMachine, nil)
						ratio, share, text := simReport(svcs, runs)
						worstRatio, worstShare = max(worstRatio, ratio), max(worstShare, share)
						sumRatio += ratio
						sumShare += share
						if os.Getenv("V") != "" {
							t.Log(text)
						}
					})
				}
			})
		}
	}
}

type tagged struct {
	next http.RoundTripper
	tag  string
	pace *pace
}

func (t *tagged) RoundTrip(req *http.Request) (*http.Response, error) {
	var st paceState
	t.pace.update(func(s *paceState) { st = *s })
	req.Header.Set("X-Run", fmt.Sprintf("%s rate %.2f max %.2f start %.2f calm %d %s", t.tag, st.Rate, st.Max, st.Start, st.Calm, st.Mode))
	return t.next.RoundTrip(req)
}

func TestPaceTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rate, n, calls := 5.0, 1, 40
		if v := os.Getenv("SIM"); v != "" {
			fmt.Sscanf(v, "%g,%d,%d", &rate, &n, &calls)
		}
		svc := newSimService(rate)
		svc.trace = t.Logf
		var runs []*simRun
		for range n {
			runs = append(runs, &simRun{calls: []int{calls}})
		}
		simulate(t, []*simService{svc}, runs, os.Getenv("ONE") != "", nil)
		_, _, text := simReport([]*simService{svc}, runs)
		t.Log(text)
	})
}

func TestPaceHoldTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newSimService(5)
		svc.holdFrom, svc.holdTo = svc.start.Add(2*time.Second), svc.start.Add(10*time.Second)
		if os.Getenv("TRACE") != "" {
			svc.trace = t.Logf
		}
		runs := []*simRun{{calls: []int{60}}}
		simulate(t, []*simService{svc}, runs, false, nil)
		_, _, text := simReport([]*simService{svc}, runs)
		t.Logf("%s; refused in the hold %d", text, svc.refusedInHold)
	})
}
