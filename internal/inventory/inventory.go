// Package inventory is a provider process's view of one service's webhooks.
//
// Neither API can read one webhook by id, so every read is a list. Store shares one list between all the reads of
// one Terraform operation (concurrent readers join the call in flight), forgets it on any write by this process
// and after a short time, and remembers when each webhook was first listed and when each list was taken. That
// memory is what lets CreateOnce tell a webhook that an uncertain create attempt made from one that existed
// before it.
package inventory

import (
	"context"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultTTL bounds how stale a shared list may be. Terraform starts a fresh provider process for every plan and
// apply, so drift made outside is seen by the next run whatever this is; within one run it only has to outlast
// the refresh of every resource.
const DefaultTTL = 2 * time.Minute

// JudgeAge bounds how long before a create attempt the list that judges it may have been requested. A webhook
// that appears after that list and matches the attempt is taken for the attempt's own, so the shorter this is,
// the less room for someone else's identical webhook to be taken for ours; a fresher list costs one more list
// call every JudgeAge during a long apply of many creates.
const JudgeAge = 5 * time.Second

// Listing is one answer to a list call: the webhooks, and the server's clock when it answered (zero when the
// server did not say), at the granularity of an HTTP Date header.
type Listing[T any] struct {
	Items      []T
	ServerTime time.Time
}

// Store caches one service's list of webhooks of type T.
type Store[T any] struct {
	fetch    func(context.Context) (Listing[T], error)
	idOf     func(T) string
	ttl      time.Duration
	judgeAge time.Duration
	now      func() time.Time

	mu        sync.Mutex
	gen       uint64 // bumped by Invalidate; a fetch started in an older generation is not cached
	items     []T
	fetchedAt time.Time
	cached    bool
	seq       uint64            // completed fetches
	firstSeen map[string]uint64 // id -> seq of the first completed fetch that listed it; 0 = made by this process
	newest    judge             // the completed list requested last
	group     singleflight.Group

	keysMu sync.Mutex
	keys   map[string]*keyLock
}

// New returns a Store that lists with fetch and identifies items with idOf.
func New[T any](fetch func(context.Context) (Listing[T], error), idOf func(T) string) *Store[T] {
	return &Store[T]{fetch: fetch, idOf: idOf, ttl: DefaultTTL, judgeAge: JudgeAge, now: time.Now,
		firstSeen: map[string]uint64{}, keys: map[string]*keyLock{}}
}

// List returns every webhook, from the shared list when it is fresh. The slice is shared: callers must not modify it.
func (s *Store[T]) List(ctx context.Context) ([]T, error) {
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

// cachedList returns the shared list if it is fresh, and the current generation.
func (s *Store[T]) cachedList() ([]T, uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached && s.now().Sub(s.fetchedAt) < s.ttl {
		return s.items, s.gen, true
	}
	return nil, s.gen, false
}

// Fresh lists again, whatever is cached.
func (s *Store[T]) Fresh(ctx context.Context) ([]T, error) {
	s.Invalidate()
	return s.List(ctx)
}

func (s *Store[T]) load(ctx context.Context, gen uint64) ([]T, error) {
	requested := s.now()
	listing, err := s.fetch(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	for _, item := range listing.Items {
		if _, ok := s.firstSeen[s.idOf(item)]; !ok {
			s.firstSeen[s.idOf(item)] = s.seq
		}
	}
	if !requested.Before(s.newest.requested) {
		s.newest = judge{requested: requested, serverTime: listing.ServerTime}
	}
	if gen == s.gen {
		s.items, s.fetchedAt, s.cached = listing.Items, s.now(), true
	}
	return listing.Items, nil
}

// Invalidate forgets the shared list; the next List asks the server again.
func (s *Store[T]) Invalidate() {
	s.mu.Lock()
	s.gen++
	s.cached = false
	s.items = nil
	s.mu.Unlock()
}

// Find returns the webhook with the given id from the shared list.
func (s *Store[T]) Find(ctx context.Context, id string) (T, bool, error) {
	var zero T
	items, err := s.List(ctx)
	if err != nil {
		return zero, false, err
	}
	for _, item := range items {
		if s.idOf(item) == id {
			return item, true, nil
		}
	}
	return zero, false, nil
}

// judge is what a create attempt is judged by if its answer is lost: every webhook listed by the first seq
// completed lists existed before the attempt; the newest of those lists was requested at requested (this
// process's clock) and answered at serverTime (the server's, zero when unknown).
type judge struct {
	seq        uint64
	requested  time.Time
	serverTime time.Time
}

// judgeFor returns the judge of an attempt about to start, listing first when the newest list was requested more
// than judgeAge ago. Concurrent creates share that list, so a long apply of many creates costs one list per
// judgeAge, not one per create.
func (s *Store[T]) judgeFor(ctx context.Context) (judge, error) {
	if j, fresh := s.freshJudge(); fresh {
		return j, nil
	}
	// The key is fixed: a list already in flight for the same purpose began after its caller found the lists
	// stale, moments ago, and serves this attempt as well. One that finished between the check above and this
	// call serves it too, so the list is taken only if the lists are still stale.
	ch := s.group.DoChan("judge", func() (any, error) {
		if _, fresh := s.freshJudge(); fresh {
			return nil, nil
		}
		s.mu.Lock()
		gen := s.gen
		s.mu.Unlock()
		return s.load(context.WithoutCancel(ctx), gen)
	})
	select {
	case <-ctx.Done():
		return judge{}, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return judge{}, r.Err
		}
	}
	j, _ := s.freshJudge()
	return j, nil
}

// freshJudge returns the judge the lists completed so far give, and whether the newest of them was requested no
// more than judgeAge ago.
func (s *Store[T]) freshJudge() (judge, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.newest
	j.seq = s.seq
	return j, j.seq > 0 && s.now().Sub(j.requested) <= s.judgeAge
}

func (s *Store[T]) knownAt(id string, mark uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen, ok := s.firstSeen[id]
	return ok && seen <= mark
}

// noteMade records a webhook this process made, so that no later reconciliation mistakes it for an orphan.
func (s *Store[T]) noteMade(id string) {
	s.mu.Lock()
	s.firstSeen[id] = 0
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
