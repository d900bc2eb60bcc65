package mockserver

import (
	"maps"
	"sync"
)

// Route keys counted in Stats.Requests.
const (
	routeSellfernList       = "sellfern.list"
	routeSellfernCreate     = "sellfern.create"
	routeSellfernUpdate     = "sellfern.update"
	routeSellfernDelete     = "sellfern.delete"
	routeSellfernTest       = "sellfern.test"
	routeSellfernDeliveries = "sellfern.deliveries"
	routeSelSupList         = "selsup.list"
	routeSelSupCreate       = "selsup.create"
	routeSelSupDelete       = "selsup.delete"
	routeUnknown            = "unknown" // no route matched (404 or 405)
)

// Stats counts what the mock saw, so tests can assert how many API calls a
// client made (for example that a refresh of N webhooks costs one list call).
type Stats struct {
	Requests           map[string]int    `json:"requests"`              // per route key, counts EVERY request that reached the route (incl. faulted ones)
	Faults             map[FaultKind]int `json:"faults"`                // faults injected, by kind
	FaultsByRoute      map[string]int    `json:"faults_by_route"`       // faults injected, by route key
	FaultsAfterCommit  int               `json:"faults_after_commit"`   // create faults that happened after the webhook was stored
	AfterCommitByRoute map[string]int    `json:"after_commit_by_route"` // the same, by route key
	Total              int               `json:"total"`                 // all API requests
	RateLimited        map[string]int    `json:"rate_limited"`          // requests refused by the rate limit (SetRateLimit), by route key
	// Sellfern's Idempotency-Key (idempotency.go), by route key: answers replayed from a key, requests refused
	// because their key was still in flight (409) or had been used with another request (422).
	Replayed     map[string]int `json:"replayed"`
	KeyInUse     map[string]int `json:"key_in_use"`
	KeyConflicts map[string]int `json:"key_conflicts"`
	// LateCommits counts the creates answered 504 at once and carried out later (SetLateCommits), by route key,
	// and LateStored those of them that stored a webhook.
	LateCommits map[string]int `json:"late_commits"`
	LateStored  map[string]int `json:"late_stored"`
	// RateLimitHeld counts the refusals while a neighbour held the quota (RateLimit.NeighbourHold).
	RateLimitHeld int `json:"rate_limit_held"`
	// RateLimitUnused counts the tokens no request took: they came while a credential's bucket was full, between
	// two of its requests (capacity a client left idle while it went on calling).
	RateLimitUnused int `json:"rate_limit_unused"`
}

// Refused is the number of requests the rate limit refused, on every route.
func (s Stats) Refused() int {
	n := 0
	for _, v := range s.RateLimited {
		n += v
	}
	return n
}

// statsRecorder guards Stats with its own mutex so counting never waits on a
// service's state lock.
type statsRecorder struct {
	mu sync.Mutex
	s  Stats
}

func newStatsRecorder() statsRecorder {
	return statsRecorder{s: emptyStats()}
}

// emptyStats has non-nil maps so that the JSON form is {} rather than null.
func emptyStats() Stats {
	return Stats{Requests: map[string]int{}, Faults: map[FaultKind]int{}, FaultsByRoute: map[string]int{},
		AfterCommitByRoute: map[string]int{}, RateLimited: map[string]int{}, Replayed: map[string]int{},
		KeyInUse: map[string]int{}, KeyConflicts: map[string]int{}, LateCommits: map[string]int{}, LateStored: map[string]int{}}
}

// keyOutcome is what a request's Idempotency-Key made of it, when not a first processing.
type keyOutcome int

const (
	keyReplayed keyOutcome = iota // the stored answer, replayed
	keyInUse                      // 409: a request with the key is still being processed
	keyConflict                   // 422: the key came with another request
)

// idempotency counts what a request's Idempotency-Key made of it.
func (r *statsRecorder) idempotency(route string, what keyOutcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch what {
	case keyReplayed:
		r.s.Replayed[route]++
	case keyInUse:
		r.s.KeyInUse[route]++
	case keyConflict:
		r.s.KeyConflicts[route]++
	}
}

// lateCommit counts a create answered late, once it has been carried out.
func (r *statsRecorder) lateCommit(route string, stored bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.LateCommits[route]++
	if stored {
		r.s.LateStored[route]++
	}
}

func (r *statsRecorder) request(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Requests[key]++
	r.s.Total++
}

func (r *statsRecorder) fault(route string, kind FaultKind, afterCommit bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Faults[kind]++
	r.s.FaultsByRoute[route]++
	if afterCommit {
		r.s.FaultsAfterCommit++
		r.s.AfterCommitByRoute[route]++
	}
}

func (r *statsRecorder) rateLimit(route string, v verdict) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.RateLimitUnused += v.unused
	if !v.admitted {
		r.s.RateLimited[route]++
	}
	if v.held {
		r.s.RateLimitHeld++
	}
}

// Stats returns a deep copy of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	c := s.stats.s
	c.Requests = maps.Clone(c.Requests)
	c.Faults = maps.Clone(c.Faults)
	c.FaultsByRoute = maps.Clone(c.FaultsByRoute)
	c.AfterCommitByRoute = maps.Clone(c.AfterCommitByRoute)
	c.RateLimited = maps.Clone(c.RateLimited)
	c.Replayed, c.KeyInUse, c.KeyConflicts = maps.Clone(c.Replayed), maps.Clone(c.KeyInUse), maps.Clone(c.KeyConflicts)
	c.LateCommits, c.LateStored = maps.Clone(c.LateCommits), maps.Clone(c.LateStored)
	return c
}

// ResetStats zeroes every counter; the webhooks themselves are kept.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.s = emptyStats()
}

// Count returns the number of requests counted under a route key
// ("sellfern.list", ..., or "unknown").
func (s *Server) Count(route string) int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.s.Requests[route]
}
