package mockserver

import (
	"slices"
	"sync"
)

// store keeps one service's webhooks in creation order behind a lock of its own. Both services keep their
// webhooks in one, so that the handlers' state changes and the accessors tests use (all, get, put, remove) are
// written once. Every value that leaves the store is a copy: callers never share memory with it.
type store[K comparable, V any] struct {
	idOf  func(*V) K
	clone func(V) V

	mu    sync.Mutex
	order []K
	items map[K]*V
}

func newStore[K comparable, V any](idOf func(*V) K, clone func(V) V) *store[K, V] {
	return &store[K, V]{idOf: idOf, clone: clone, items: map[K]*V{}}
}

// all returns every item in creation order.
func (s *store[K, V]) all() []V {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]V, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.clone(*s.items[id]))
	}
	return out
}

// get returns one item.
func (s *store[K, V]) get(id K) (V, bool) { return s.update(id, func(*V) {}) }

// add stores v after fill has completed it (its id above all). fill runs under the store's lock, so it may use
// state that only fill touches (an id counter) and may ask whether an id is taken.
func (s *store[K, V]) add(v V, fill func(v *V, taken func(K) bool)) V {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(v, fill)
}

func (s *store[K, V]) addLocked(v V, fill func(v *V, taken func(K) bool)) V {
	v = s.clone(v)
	fill(&v, func(id K) bool { _, ok := s.items[id]; return ok })
	id := s.idOf(&v)
	s.order = append(s.order, id)
	s.items[id] = &v
	return s.clone(v)
}

// update changes item id in place with change and returns the result.
func (s *store[K, V]) update(id K, change func(*V)) (V, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	item, ok := s.items[id]
	if !ok {
		var zero V
		return zero, false
	}
	change(item)
	return s.clone(*item), true
}

// put replaces the item with v's id, after keep has carried over what v leaves empty, or adds v (through fill)
// when no item has that id.
func (s *store[K, V]) put(v V, keep func(old V, v *V), fill func(v *V, taken func(K) bool)) V {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.idOf(&v)
	old, ok := s.items[id]
	if !ok {
		return s.addLocked(v, fill)
	}
	v = s.clone(v)
	keep(*old, &v)
	*old = v
	return s.clone(v)
}

// pick returns, in creation order, copies of the items keep accepts, after hold has run for each of them while the
// lock is still held: what hold records (a delivery in flight) is in place before any other change to the store.
func (s *store[K, V]) pick(keep func(V) bool, hold func(V)) []V {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []V
	for _, id := range s.order {
		if item := *s.items[id]; keep(item) {
			hold(item)
			out = append(out, s.clone(item))
		}
	}
	return out
}

// remove deletes item id if allowed says the caller may; it reports whether it did.
func (s *store[K, V]) remove(id K, allowed func(V) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	item, ok := s.items[id]
	if !ok || !allowed(*item) {
		return false
	}
	delete(s.items, id)
	s.order = slices.DeleteFunc(s.order, func(x K) bool { return x == id })
	return true
}

func anyItem[V any](V) bool { return true }
