// Package inventory is a provider process's view of one service's webhooks.
//
// Neither API can read one webhook by id, so every read is a list. Store shares one list between all the reads of
// one Terraform operation (concurrent readers join the call in flight), forgets it on any write by this process
// and after a short time, and remembers when each webhook was first listed and what the newest list held. That
// memory is what lets CreateOnce (create.go) tell what appeared beside a create from what existed before it, and
// Absent prove that a webhook is gone. Both jobs live in one package because the second depends on the first's
// private memory.
//
// Only a complete, successful list says anything about what exists: a failed list is an error, never "none".
package inventory

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultTTL bounds how stale a shared list may be. Terraform starts a fresh provider process for every plan and
// apply, so drift made outside is seen by the next run whatever this is; within one run it only has to outlast
// the refresh of every resource.
const DefaultTTL = 2 * time.Minute

// BaselineAge bounds how long before a create attempt the list it is compared with (its baseline) may have been
// requested. For a service without idempotency keys, a webhook that appears after the baseline and matches an
// attempt whose answer was lost is adopted as the attempt's own; with keys, it is reported as having appeared
// beside the create. Either way, the shorter this is, the fewer of someone else's identical webhooks fall in the
// window; a newer baseline costs one more list call every BaselineAge during a long apply of many creates.
const BaselineAge = 5 * time.Second

// Store caches one service's list of webhooks of type T.
type Store[T any] struct {
	fetch       func(context.Context) ([]T, error)
	idOf        func(T) string
	clone       func(T) T
	ttl         time.Duration
	baselineAge time.Duration
	now         func() time.Time

	mu        sync.Mutex
	gen       uint64 // bumped by Invalidate; a fetch started in an older generation is not cached
	items     []T
	fetchedAt time.Time
	cached    bool
	started   uint64            // lists started so far
	completed uint64            // lists completed so far
	firstSeen map[string]uint64 // id -> number of the first completed list that held it; 0 = made by this process
	madeAt    map[string]time.Time
	deleted   map[string]bool // ids this process deleted
	newest    baseline[T]     // the completed list requested last
	watches   []*watch[T]     // creates that were in doubt, whose lists keep being searched (Arrivals)
	arrivals  []Arrival[T]
	group     singleflight.Group

	keysMu sync.Mutex
	keys   map[string]*keyLock
}

// New returns a Store that lists with fetch, identifies items with idOf, and hands callers copies made with clone
// (nil when T holds nothing a caller could share, such as a slice).
func New[T any](fetch func(context.Context) ([]T, error), idOf func(T) string, clone func(T) T) *Store[T] {
	if clone == nil {
		clone = func(t T) T { return t }
	}
	return &Store[T]{fetch: fetch, idOf: idOf, clone: clone, ttl: DefaultTTL, baselineAge: BaselineAge, now: time.Now,
		firstSeen: map[string]uint64{}, madeAt: map[string]time.Time{}, deleted: map[string]bool{},
		keys: map[string]*keyLock{}}
}

// List returns every webhook, from the shared list when it is fresh. The slice and its items are the caller's own.
func (s *Store[T]) List(ctx context.Context) ([]T, error) {
	items, err := s.shared(ctx)
	if err != nil {
		return nil, err
	}
	return s.copyOf(items), nil
}

// shared returns the shared list itself, which nobody may modify.
func (s *Store[T]) shared(ctx context.Context) ([]T, error) {
	items, gen, ok := s.cachedList()
	if ok {
		return items, nil
	}
	// The key carries the generation so that a reader arriving after a write never joins a list that began
	// before it. The fetch itself is detached from the first caller's cancellation, since others may share it.
	ch := s.group.DoChan(strconv.FormatUint(gen, 10), func() (any, error) {
		// A list that finished between the check above and this call has already been cached.
		if items, _, ok := s.cachedList(); ok {
			return items, nil
		}
		return s.load(context.WithoutCancel(ctx), gen)
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		items, _ := r.Val.([]T) // load and cachedList only ever return []T
		return items, nil
	}
}

func (s *Store[T]) copyOf(items []T) []T {
	out := make([]T, len(items))
	for i, item := range items {
		out[i] = s.clone(item)
	}
	return out
}

// cachedList returns the shared list if it is fresh, and the current generation.
func (s *Store[T]) cachedList() ([]T, uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached && s.now().Sub(s.fetchedAt) < s.ttl {
		return s.items, s.gen, true
	}
	return nil, s.gen, false
}

// Relist lists again, whatever is cached.
func (s *Store[T]) Relist(ctx context.Context) ([]T, error) {
	s.Invalidate()
	return s.List(ctx)
}

func (s *Store[T]) load(ctx context.Context, gen uint64) ([]T, error) {
	s.mu.Lock()
	s.started++
	number, requested := s.started, s.now()
	s.mu.Unlock()
	items, err := s.fetch(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.completed++
	for _, item := range items {
		if _, ok := s.firstSeen[s.idOf(item)]; !ok {
			s.firstSeen[s.idOf(item)] = s.completed
		}
	}
	if number > s.newest.number {
		s.newest = baseline[T]{number: number, requested: requested, items: items}
	}
	s.noticeArrivals(items)
	if gen == s.gen {
		s.items, s.fetchedAt, s.cached = items, s.now(), true
	}
	return items, nil
}

// Invalidate forgets the shared list; the next List asks the server again.
func (s *Store[T]) Invalidate() {
	s.mu.Lock()
	s.gen++
	s.cached = false
	s.items = nil
	s.mu.Unlock()
}

// Deleted records that this process deleted id, and forgets the shared list. A webhook this process deleted is
// never reported as an identical one that already exists (CreateOnce), even by a list taken before the delete.
func (s *Store[T]) Deleted(id string) {
	s.mu.Lock()
	s.deleted[id] = true
	s.mu.Unlock()
	s.Invalidate()
}

// Find returns the webhook with the given id from the shared list.
func (s *Store[T]) Find(ctx context.Context, id string) (T, bool, error) {
	var zero T
	items, err := s.shared(ctx)
	if err != nil {
		return zero, false, err
	}
	for _, item := range items {
		if s.idOf(item) == id {
			return s.clone(item), true, nil
		}
	}
	return zero, false, nil
}

// Others returns the webhooks of the shared list for which same is true, the one with id excepted.
func (s *Store[T]) Others(ctx context.Context, id string, same func(T) bool) ([]T, error) {
	items, err := s.shared(ctx)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, item := range items {
		if s.idOf(item) != id && same(item) {
			out = append(out, s.clone(item))
		}
	}
	return out, nil
}

// Absent reports whether a complete list shows that id does not exist: for a call about one webhook that the
// service answered "not found", which by itself proves nothing (a proxy, a maintenance page or a base URL with a
// wrong path answer 404 too). The newest list serves when it was taken after this process made id and does not
// hold it (ids are never reused, so a webhook missing from a list is gone for good); otherwise, or when it holds
// id, a list requested now decides. A list that fails is an error: nothing is known then.
func (s *Store[T]) Absent(ctx context.Context, id string) (bool, error) {
	s.mu.Lock()
	newest, made, listed, started := s.newest, s.madeAt[id], s.completed > 0, s.started
	s.mu.Unlock()
	if listed && newest.requested.After(made) && !newest.holds(s.idOf, id) {
		return true, nil
	}
	b, err := s.listedWhen(ctx, func(b baseline[T]) bool { return b.number > started })
	if err != nil {
		return false, err
	}
	return !b.holds(s.idOf, id), nil
}

// baseline is the newest completed list: what a create attempt is compared with. Every webhook listed by the
// first `lists` completed lists existed before the attempt; the newest of those lists was requested at requested
// (this process's clock) and held items. number orders lists by when they were started.
type baseline[T any] struct {
	number    uint64
	lists     uint64
	requested time.Time
	items     []T
}

func (b baseline[T]) holds(idOf func(T) string, id string) bool {
	return slices.ContainsFunc(b.items, func(item T) bool { return idOf(item) == id })
}

// baselineFor returns the baseline of an attempt about to start: the newest list, taken first when it was
// requested more than baselineAge ago. Concurrent creates share that list, so a long apply of many creates costs
// one list per baselineAge, not one per create.
func (s *Store[T]) baselineFor(ctx context.Context) (baseline[T], error) {
	since := s.now().Add(-s.baselineAge)
	return s.listedWhen(ctx, func(b baseline[T]) bool { return !b.requested.Before(since) })
}

// listedWhen returns the newest completed list if recent says it is recent enough, and otherwise lists. The key
// is fixed: a list already in flight began after its caller found the lists too old, moments ago, and serves the
// callers that join it when it is recent enough for them too; one that finished between the check and the call
// serves as well, so a list is taken only if the lists are still too old.
func (s *Store[T]) listedWhen(ctx context.Context, recent func(baseline[T]) bool) (baseline[T], error) {
	for {
		if b, ok := s.newestIf(recent); ok {
			return b, nil
		}
		ch := s.group.DoChan("recent", func() (any, error) {
			if _, ok := s.newestIf(recent); ok {
				return nil, nil
			}
			s.mu.Lock()
			gen := s.gen
			s.mu.Unlock()
			return s.load(context.WithoutCancel(ctx), gen)
		})
		select {
		case <-ctx.Done():
			return baseline[T]{}, ctx.Err()
		case r := <-ch:
			if r.Err != nil {
				return baseline[T]{}, r.Err
			}
		}
		// The list this caller joined may have begun too early for it; then it lists again.
	}
}

// newestIf returns the newest completed list, and whether there is one and recent says it is recent enough.
func (s *Store[T]) newestIf(recent func(baseline[T]) bool) (baseline[T], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newest
	b.lists = s.completed
	return b, b.lists > 0 && recent(b)
}

// listedBy reports whether id was held by one of the first n completed lists (and not made by this process).
func (s *Store[T]) listedBy(id string, n uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen, ok := s.firstSeen[id]
	return ok && seen != 0 && seen <= n
}

// madeHere reports whether this process made id, or deleted it.
func (s *Store[T]) madeHere(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen, ok := s.firstSeen[id]
	return (ok && seen == 0) || s.deleted[id]
}

// recordMade records a webhook this process made, so that no later create takes it for one that appeared beside it.
func (s *Store[T]) recordMade(id string) {
	s.mu.Lock()
	s.firstSeen[id] = 0
	s.madeAt[id] = s.now()
	s.mu.Unlock()
}

// keyLock serialises creates that could be confused with each other (same fingerprint), so that one create's
// reconciliation never sees another's webhook, from this process, in flight.
type keyLock struct {
	sem  chan struct{}
	refs int
}

func (s *Store[T]) lock(ctx context.Context, key string) (func(), error) {
	s.keysMu.Lock()
	l := s.keys[key]
	if l == nil {
		l = &keyLock{sem: make(chan struct{}, 1)}
		s.keys[key] = l
	}
	l.refs++
	s.keysMu.Unlock()

	release := func() {
		s.keysMu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(s.keys, key)
		}
		s.keysMu.Unlock()
	}
	select {
	case l.sem <- struct{}{}:
		return func() { <-l.sem; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// Arrival is a webhook identical to one a create in doubt made, which appeared after that create ended: a request
// the service stored late, or another configuration's. Beside is the id of the webhook the create made.
type Arrival[T any] struct {
	Beside string
	Item   T
}

// watch is a create in doubt whose webhook's identical neighbours the lists of this process keep looking for.
type watch[T any] struct {
	beside  string
	matches func(T) bool
	known   map[string]bool
}

// watch starts looking for webhooks identical to the one c made (id) that are not among known.
func (s *Store[T]) watch(c Create[T], id string, known []string) {
	w := &watch[T]{beside: id, matches: c.Matches, known: map[string]bool{}}
	for _, k := range known {
		w.known[k] = true
	}
	s.mu.Lock()
	s.watches = append(s.watches, w)
	s.mu.Unlock()
}

// noticeArrivals queues every webhook of a completed list that a watch has not seen and this process neither made
// nor deleted. s.mu is held.
func (s *Store[T]) noticeArrivals(items []T) {
	for _, w := range s.watches {
		for _, item := range items {
			id := s.idOf(item)
			seen, listed := s.firstSeen[id]
			if w.known[id] || !w.matches(item) || (listed && seen == 0) || s.deleted[id] {
				continue
			}
			w.known[id] = true
			s.arrivals = append(s.arrivals, Arrival[T]{Beside: w.beside, Item: s.clone(item)})
		}
	}
}

// Arrivals returns the webhooks the watches found since the last call, each once: the caller names them in a
// warning of whatever operation it is running.
func (s *Store[T]) Arrivals() []Arrival[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.arrivals
	s.arrivals = nil
	return out
}
