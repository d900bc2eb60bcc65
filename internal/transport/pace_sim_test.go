package transport

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
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
	jitter      time.Duration // added to each half of the latency: from 0 to this, at random
	sayNow      bool          // answer every 429 with Retry-After: 0

	start            time.Time
	mu               sync.Mutex
	tokens           float64
	last             time.Time
	holdFrom, holdTo time.Time
	requests         int
	refused          int
	refusedInHold    int
	calls            []simCall // every request, in the order they came
}

// simCall is one request a simService answered: when it came (from the service's start) and whether it was
// refused.
type simCall struct {
	at      time.Duration
	run     string // the Sim-Run header: which run sent it
	refused bool
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
	time.Sleep(s.latency/2 + time.Duration(rand.Int64N(int64(s.jitter)+1)))
	s.mu.Lock()
	now := time.Now()
	s.tokens = min(s.burst, s.tokens+now.Sub(s.last).Seconds()*s.rate)
	s.last = now
	held := !now.Before(s.holdFrom) && now.Before(s.holdTo)
	if held {
		s.tokens = 0 // the neighbour takes every token as it comes
	}
	s.requests++
	ok := s.tokens >= 1
	s.calls = append(s.calls, simCall{at: now.Sub(s.start), run: req.Header.Get("Sim-Run"), refused: !ok})
	if ok {
		s.tokens--
	} else {
		s.refused++
		if held {
			s.refusedInHold++
		}
	}
	// During a hold the service knows only that a token comes in one interval; the neighbour then takes it.
	wait := (1 - s.tokens) / s.rate
	s.mu.Unlock()
	time.Sleep(s.latency/2 + time.Duration(rand.Int64N(int64(s.jitter)+1)))
	status, h := http.StatusOK, http.Header{}
	if !ok {
		status = http.StatusTooManyRequests
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait))))
		if s.sayNow {
			h.Set("Retry-After", "0")
		}
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}, nil
}

// simRun is one Terraform run: for each service, a list, then calls[i] calls by ten workers shared between the
// services, through one Client per service. On different machines each run's client has a pace of its own; on
// one machine they share one through a registry, as the files share it between processes.
type simRun struct {
	delay time.Duration // when it starts, after the others
	calls []int
	took  time.Duration
	err   error
}

// simMachine is the registry of paces of a provider process of run on a machine, which shares the states of its
// paces with the machine's other processes through shared, as the files share them.
func simMachine(shared map[string]paceStore, run string) *Paces {
	return &Paces{run: run, paces: map[string]*pace{}, mem: shared}
}

// simClient is a client of service k (svc) for run, with a pace of its own, or from paces when not nil.
func simClient(t *testing.T, svc http.RoundTripper, k int, run string, paces *Paces) *Client {
	t.Helper()
	tagged := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		req.Header.Set("Sim-Run", run)
		return svc.RoundTrip(req)
	})
	c, err := New(Config{Settings: Settings{BaseURL: "http://127.0.0.1:" + strconv.Itoa(9+k),
		HTTPClient: &http.Client{Transport: tagged}, Paces: paces}, Service: "Sim"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// simulate runs the runs against the services and returns when all are done.
func simulate(t *testing.T, svcs []*simService, runs []*simRun, oneMachine bool) {
	t.Helper()
	var wg sync.WaitGroup
	shared := map[string]paceStore{}
	for i, r := range runs {
		var clients []*Client
		var paces *Paces
		if oneMachine {
			paces = simMachine(shared, strconv.Itoa(i))
		}
		for k, svc := range svcs {
			clients = append(clients, simClient(t, svc, k, strconv.Itoa(i), paces))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(r.delay)
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
		slowest = max(slowest, r.took)
		walls = append(walls, fmt.Sprintf("%.1fs", r.took.Seconds()))
	}
	ratio = slowest.Seconds() / floor.Seconds()
	refusedShare = float64(refused) / float64(requests)
	return ratio, refusedShare, fmt.Sprintf("requests %d, refused %d (%.0f%%), floor %.1fs, runs %s, slowest/floor %.2fx",
		requests, refused, 100*refusedShare, floor.Seconds(), strings.Join(walls, " "), ratio)
}

// The pace against a token bucket, in a synctest bubble: minutes of calls in milliseconds, the same at every
// run. Several runs share one account's limit, each with its own pace (runs on different machines) or with one
// pace between them (runs on one machine, pace_share.go), starting together or one after the other. The bounds
// hold what the design promises with some margin; the figures are logged, and BENCHMARKS.md has the same
// scenarios with real Terraform.
func TestPaceSharesALimit(t *testing.T) {
	for _, c := range []struct {
		name       string
		rate       float64
		runs       int
		calls      []int // per service: each run's calls after its list
		oneMachine bool
		apart      time.Duration // between the runs' starts
		ratio      float64       // the slowest run's time over the floor, at most
		refused    float64       // refusals over requests, at most
	}{
		{"one run, 30 + 10 at 5/s", 5, 1, []int{30, 10}, false, 0, 1.0, 0.15},
		{"one run, 100 + 30 at 5/s", 5, 1, []int{100, 30}, false, 0, 1.1, 0.10},
		{"three runs, 30 + 10 at 5/s, on one machine", 5, 3, []int{30, 10}, true, 0, 1.1, 0.10},
		{"three runs of 20 at 1/s, on one machine", 1, 3, []int{20}, true, 0, 1.2, 0.10},
		{"three runs of 20 at 1/s, on one machine, 300ms apart", 1, 3, []int{20}, true, 300 * time.Millisecond, 1.2, 0.10},
		{"five runs of 60 at 10/s, on one machine", 10, 5, []int{60}, true, 0, 1.1, 0.08},
		{"three runs, 30 + 10 at 5/s, on three machines", 5, 3, []int{30, 10}, false, 0, 1.4, 0.18},
		{"five runs of 60 at 10/s, on five machines", 10, 5, []int{60}, false, 0, 1.7, 0.10},
		{"two runs of 100 at 20/s, on two machines", 20, 2, []int{100}, false, 0, 1.1, 0.10},
		{"three runs of 20 at 1/s, on three machines", 1, 3, []int{20}, false, 0, 2.0, 0.45},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var svcs []*simService
				for range c.calls {
					svcs = append(svcs, newSimService(c.rate))
				}
				var runs []*simRun
				for i := range c.runs {
					runs = append(runs, &simRun{calls: c.calls, delay: time.Duration(i) * c.apart})
				}
				simulate(t, svcs, runs, c.oneMachine)
				ratio, share, text := simReport(svcs, runs)
				t.Log(text)
				for _, r := range runs {
					if r.err != nil {
						t.Fatalf("a call failed: %v", r.err)
					}
				}
				if ratio > c.ratio || share > c.refused {
					t.Fatalf("slowest/floor %.2fx (want <= %.2fx), refused %.0f%% (want <= %.0f%%)", ratio, c.ratio,
						100*share, 100*c.refused)
				}
			})
		})
	}
}

// A run that starts while another client holds the account's whole quota learns from the refusals alone: it
// sends far fewer calls than the service admits, not ten at every wake-up (8 a second with Retry-After: 1, 33 a
// second with Retry-After: 0, before), and once the hold ends it finds the limit again within seconds.
func TestPaceWhileEverythingIsRefused(t *testing.T) {
	for _, sayNow := range []bool{false, true} {
		t.Run(fmt.Sprintf("Retry-After 0: %v", sayNow), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := newSimService(5)
				svc.sayNow = sayNow
				hold := 10 * time.Second
				svc.holdFrom, svc.holdTo = svc.start, svc.start.Add(hold)
				runs := []*simRun{{calls: []int{40}}}
				simulate(t, []*simService{svc}, runs, false)
				_, _, text := simReport([]*simService{svc}, runs)
				perSecond := float64(svc.refusedInHold) / hold.Seconds()
				t.Logf("%s; %d refused in the %s hold (%.1f per second)", text, svc.refusedInHold, hold, perSecond)
				if runs[0].err != nil {
					t.Fatal(runs[0].err)
				}
				if perSecond > 1.5 {
					t.Fatalf("%.1f requests per second while every call was refused; the service admits 5, and the "+
						"pace should send far fewer", perSecond)
				}
				// After the hold: 41 calls at 5 per second take 8.2 s; found again within seconds.
				if end := runs[0].took; end > hold+14*time.Second {
					t.Fatalf("the run took %s after a hold of %s: the pace was slow to find the limit again", end, hold)
				}
			})
		})
	}
}

// A neighbour that takes the quota for 8 s in the middle of a run, then stops: the run waits it out, sending
// little, and is back at the service's rate within seconds (before, it rose by a tenth every 10 s: an apply of 60
// took a minute where 20 s would do).
func TestPaceRecoversWhenANeighbourStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newSimService(5)
		svc.holdFrom, svc.holdTo = svc.start.Add(2*time.Second), svc.start.Add(10*time.Second)
		runs := []*simRun{{calls: []int{60}}}
		simulate(t, []*simService{svc}, runs, false)
		_, _, text := simReport([]*simService{svc}, runs)
		t.Logf("%s; %d refused in the hold", text, svc.refusedInHold)
		// Without the neighbour: 61 calls, 5 at once and 5 a second, 11.2 s; with it, at best 8 s more.
		if took := runs[0].took; took > 24*time.Second || svc.refusedInHold > 12 {
			t.Fatalf("took %s (want <= 24s, the best being 19.2s), %d refused in the 8s hold (want <= 12)", took,
				svc.refusedInHold)
		}
	})
}

// After a pause every call waited for, the calls go one interval of the pace apart, not all at once.
func TestPaceSpreadsCallsAfterAPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var arrivals []time.Time
		refused := false
		srv := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			arrivals = append(arrivals, time.Now())
			if !refused && len(arrivals) == 5 {
				refused = true
				return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"5"}},
					Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
			}
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")),
				Request: req}, nil
		})
		c, err := New(Config{Settings: Settings{BaseURL: "http://127.0.0.1:9", HTTPClient: &http.Client{Transport: srv}},
			Service: "Sim"})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		resumed := arrivals[4].Add(5 * time.Second)
		var after []time.Time
		for _, a := range arrivals {
			if !a.Before(resumed) {
				after = append(after, a)
			}
		}
		if len(after) < 5 {
			t.Fatalf("%d calls after the pause; want the refused one and the rest", len(after))
		}
		for i := 1; i < len(after); i++ {
			if gap := after[i].Sub(after[i-1]); gap < 100*time.Millisecond {
				t.Fatalf("calls %d and %d after the pause came %s apart: sent together", i, i+1, gap)
			}
		}
	})
}

// Rate headers with calls left: no more of them go before the reset.
func TestPaceKeepsToTheQuotaLeft(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var arrivals []time.Time
		begin := time.Now()
		srv := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			arrivals = append(arrivals, time.Now())
			h := http.Header{}
			if len(arrivals) == 1 {
				h.Set("RateLimit-Remaining", "2")
				h.Set("RateLimit-Reset", "10")
			}
			return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
		})
		c, err := New(Config{Settings: Settings{BaseURL: "http://127.0.0.1:9", HTTPClient: &http.Client{Transport: srv}},
			Service: "Sim"})
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			if _, err := c.Do(context.Background(), http.MethodGet, "x", nil, nil); err != nil {
				t.Fatal(err)
			}
		}
		if arrivals[2].Sub(begin) > time.Second || arrivals[3].Sub(begin) < 10*time.Second {
			t.Fatalf("calls at %v; want the two left at once, the fourth after the reset at 10s", arrivals)
		}
	})
}

// The runs on one machine start slowly together. While nothing is known of the account, the machine's calls in
// flight start at one, so that the first calls of three runs that start at once do not all meet an unknown limit:
// the second waits for the first answer instead of being sent with it. What the machine learns from the refusals
// that follow is the service's rate, not one inflated by calls counted as accepted while in flight and then
// refused.
func TestPaceFirstCallsOfAMachine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newSimService(1)
		shared := map[string]paceStore{}
		var clients []*Client
		for i := range 3 {
			clients = append(clients, simClient(t, svc, 0, strconv.Itoa(i), simMachine(shared, strconv.Itoa(i))))
		}
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				if _, err := c.Do(context.Background(), http.MethodGet, "list", nil, nil); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if gap := svc.calls[1].at - svc.calls[0].at; gap < svc.latency {
			t.Fatalf("the machine's second call came %s after its first, before that one was answered (%s): "+
				"calls %+v", gap, svc.latency, svc.calls)
		}
		var learned float64
		clients[0].pace.update(func(s *paceState) { learned = s.Max })
		if learned < 0.9 || learned > 1.1 {
			t.Fatalf("learned a limit of %.2f requests per second from the first calls; the service admits 1", learned)
		}
	})
}

// A process that dies with a call in flight in the slow start holds back the other processes of the machine for
// at most startStep (the window widens while the oldest call waits for its answer), and its lease lapses after
// flightLease.
func TestPaceLeaseOfADeadProcess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newSimService(5)
		shared := map[string]paceStore{}
		dead := simClient(t, svc, 0, "dead", simMachine(shared, "dead"))
		if _, err := dead.pace.wait(context.Background(), time.Minute, dead.pace.ticket()); err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		live := simClient(t, svc, 0, "live", simMachine(shared, "live"))
		if _, err := live.Do(context.Background(), http.MethodGet, "list", nil, nil); err != nil {
			t.Fatal(err)
		}
		sent := svc.calls[0].at - begin.Sub(svc.start)
		if sent < startStep || sent > startStep+flightPoll+svc.latency {
			t.Fatalf("another process's call was sent %s after the dead one's lease was taken; want it held "+
				"back, for %s at most", sent, startStep)
		}
		time.Sleep(flightLease)
		var flights int
		live.pace.update(func(s *paceState) {
			s.room(time.Now())
			flights = len(s.Flights)
		})
		if flights != 0 {
			t.Fatalf("%d leases left %s after the process died", flights, flightLease)
		}
	})
}

// A limit the service keeps refusing at the same rate is probed as rarely, in calls, at 1 request per second as
// at 5: a lone client's refusals stay a small share of its calls (one in twelve, before: it probed in time).
func TestPaceProbesASteadyLimitRarely(t *testing.T) {
	for _, rate := range []float64{1, 5} {
		t.Run(fmt.Sprintf("%g per second", rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				svc := newSimService(rate)
				runs := []*simRun{{calls: []int{int(150 * rate)}}}
				simulate(t, []*simService{svc}, runs, false)
				_, share, text := simReport([]*simService{svc}, runs)
				t.Log(text)
				if share > 0.05 {
					t.Fatalf("%.1f%% of the requests refused; want at most 5%%", 100*share)
				}
			})
		})
	}
}

// An account left idle for a while (an apply, then a destroy a minute later) is not taken to have more room for
// it: calm with no calls tested nothing, so the pace starts again where it was, not at a rate no call has tried,
// and the second command's first wave is not refused whole.
func TestPaceIdleSpellDoesNotRaiseThePace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newSimService(5)
		c := simClient(t, svc, 0, "0", nil)
		batch := func() {
			var wg sync.WaitGroup
			jobs := make(chan int, 40)
			for i := range 40 {
				jobs <- i
			}
			close(jobs)
			for range 10 {
				wg.Go(func() {
					for range jobs {
						if _, err := c.Do(context.Background(), http.MethodPost, "create", nil, struct{}{}); err != nil {
							t.Error(err)
						}
					}
				})
			}
			wg.Wait()
		}
		batch()
		before := svc.refused
		time.Sleep(time.Minute)
		batch()
		if after := svc.refused - before; after > 3 {
			t.Fatalf("%d of the second command's calls refused after a minute's idle spell (%d in the first); "+
				"want at most 3", after, before)
		}
	})
}
