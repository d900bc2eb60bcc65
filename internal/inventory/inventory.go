// Package inventory is a provider process's view of one service's webhooks.
//
// Neither API can read one webhook by id, so every read is a list. Store shares one list between all the reads of
// one Terraform operation (concurrent readers join the call in flight), forgets it on any write by this process
// and after a short time, and remembers when each webhook was first listed. That memory is what lets CreateOnce
// tell a webhook that an uncertain create attempt made from one that existed before it.
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

// Store caches one service's list of webhooks of type T.
type Store[T any] struct {
	fetch func(context.Context) ([]T, error)
	idOf  func(T) string
	ttl   time.Duration

	mu        sync.Mutex
	gen       uint64 // bumped by Invalidate; a fetch started in an older generation is not cached
	items     []T
	fetchedAt time.Time
	cached    bool
	seq       uint64            // completed fetches
	firstSeen map[string]uint64 // id -> seq of the first completed fetch that listed it; 0 = made by this process
	fetches   int
	group     singleflight.Group

	keysMu sync.Mutex
	keys   map[string]*keyLock
}

// New returns a Store that lists with fetch and identifies items with idOf.
func New[T any](fetch func(context.Context) ([]T, error), idOf func(T) string, ttl time.Duration) *Store[T] {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Store[T]{fetch: fetch, idOf: idOf, ttl: ttl, firstSeen: map[string]uint64{}, keys: map[string]*keyLock{}}
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
	if s.cached && time.Since(s.fetchedAt) < s.ttl {
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
	items, err := s.fetch(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	s.seq++
	for _, item := range items {
		if _, ok := s.firstSeen[s.idOf(item)]; !ok {
			s.firstSeen[s.idOf(item)] = s.seq
		}
	}
	if gen == s.gen {
		s.items, s.fetchedAt, s.cached = items, time.Now(), true
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

// Fetches reports how many lists this Store has made.
func (s *Store[T]) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
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

// mark returns the number of lists completed so far. A webhook first listed by a list counted in the mark existed
// before anything started after the mark was taken.
func (s *Store[T]) mark() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
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
