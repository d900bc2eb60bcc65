package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeService is an in-memory service: a list of ids with a URL and a creation time each, a clock of its own
// that tests move, and a switchboard of failures.
type fakeService struct {
	mu      sync.Mutex
	hooks   map[string]hook
	next    int
	now     time.Time
	lists   atomic.Int32
	entered chan struct{} // receives once per list call, so tests can wait for a list to be in flight
	gate    chan struct{} // when set, the first list call waits for it (to hold a list in flight)
	stall   atomic.Bool   // when set, every list call hangs until its caller gives up
	listErr error
}

type hook struct {
	ID, URL string
	Created time.Time
}

func newFake() *fakeService {
	return &fakeService{hooks: map[string]hook{}, entered: make(chan struct{}, 1000),
		now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
}

func (f *fakeService) add(url string) hook { return f.addMadeAgo(url, 0) }

// addMadeAgo adds a webhook whose creation time is ago before the service's clock.
func (f *fakeService) addMadeAgo(url string, ago time.Duration) hook {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	h := hook{fmt.Sprintf("wh_%d", f.next), url, f.now.Add(-ago)}
	f.hooks[h.ID] = h
	return h
}

// Now is the one clock of the test: the service's and the Store's.
func (f *fakeService) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeService) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeService) list(ctx context.Context) ([]hook, error) {
	first := f.lists.Add(1) == 1
	f.entered <- struct{}{}
	if f.stall.Load() {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if first && f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	out := make([]hook, 0, len(f.hooks))
	for _, h := range f.hooks {
		out = append(out, h)
	}
	return out, nil
}

func (f *fakeService) remove(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.hooks, id)
	return nil
}

func (f *fakeService) count(url string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, h := range f.hooks {
		if h.URL == url {
			n++
		}
	}
	return n
}

func (f *fakeService) has(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.hooks[id]
	return ok
}

func newStore(f *fakeService) *Store[hook] {
	s := New(f.list, func(h hook) string { return h.ID }, nil)
	s.now = f.Now
	return s
}

func TestConcurrentReadsShareOneList(t *testing.T) {
	f := newFake()
	f.add("https://a")
	f.gate = make(chan struct{})
	s := newStore(f)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := s.Find(context.Background(), "wh_1"); err != nil || !ok {
				t.Errorf("find: %v %v", ok, err)
			}
		}()
	}
	// Hold the one list in flight while the readers pile up behind it; a reader arriving after the release
	// finds the cached list, so either way there is one list.
	<-f.entered
	close(f.gate)
	wg.Wait()
	if n := f.lists.Load(); n != 1 {
		t.Fatalf("%d lists for 50 concurrent reads, want 1", n)
	}
}

func TestWriteInvalidatesAndNewReadersNeverJoinAnOlderList(t *testing.T) {
	f := newFake()
	s := newStore(f)
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := f.add("https://new") // a write by this process...
	s.Invalidate()            // ...which the client always follows with Invalidate
	_, ok, err := s.Find(context.Background(), h.ID)
	if err != nil || !ok {
		t.Fatalf("a webhook made by this process was not seen by the next read (ok=%v err=%v)", ok, err)
	}
	if n := f.lists.Load(); n != 2 {
		t.Fatalf("%d lists, want 2", n)
	}
}

func TestListInFlightDuringWriteIsNotCached(t *testing.T) {
	f := newFake()
	f.gate = make(chan struct{})
	s := newStore(f)
	done := make(chan struct{})
	go func() { _, _ = s.List(context.Background()); close(done) }()
	<-f.entered
	h := f.add("https://during")
	s.Invalidate()
	// The read after the write starts its own list rather than joining the one begun before it (which is
	// still held and would not include the new webhook).
	_, ok, err := s.Find(context.Background(), h.ID)
	if err != nil || !ok {
		t.Fatalf("read after write missed the webhook: %v %v", ok, err)
	}
	close(f.gate)
	<-done
	// The list begun before the write finished last, but must not have replaced the newer one in the cache.
	if _, ok, _ := s.Find(context.Background(), h.ID); !ok || f.lists.Load() != 2 {
		t.Fatalf("stale list cached: found=%v lists=%d", ok, f.lists.Load())
	}
}

func TestTTLBoundsStaleness(t *testing.T) {
	f := newFake()
	s := newStore(f)
	for range 2 { // the second time, the TTL has passed: the list is stale
		if _, err := s.List(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.advance(DefaultTTL)
	}

	if n := f.lists.Load(); n != 2 {
		t.Fatalf("%d lists across an expired TTL, want 2", n)
	}
}

func TestCallerCancellationDoesNotCancelSharedList(t *testing.T) {
	f := newFake()
	f.add("https://a")
	f.gate = make(chan struct{})
	s := newStore(f)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { _, err := s.List(ctx); errc <- err }()
	<-f.entered
	other := make(chan error)
	go func() { _, _, err := s.Find(context.Background(), "wh_1"); other <- err }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller got %v", err)
	}
	close(f.gate)
	if err := <-other; err != nil {
		t.Fatalf("the other reader lost the shared list: %v", err)
	}
}

// A caller that changes what List gave it changes nothing for the other readers.
func TestListHandsOutCopies(t *testing.T) {
	f := newFake()
	f.add("https://a")
	s := New(f.list, func(h hook) string { return h.ID }, func(h hook) hook { h.URL = strings.Clone(h.URL); return h })
	s.now = f.Now
	first, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first[0].URL = "https://corrupted"
	first = append(first[:0], hook{ID: "wh_fake"})
	_ = first
	again, err := s.List(context.Background())
	if err != nil || len(again) != 1 || again[0].URL != "https://a" || f.lists.Load() != 1 {
		t.Fatalf("after a caller changed its copy the shared list reads %+v (err %v, %d lists)", again, err, f.lists.Load())
	}
}

// Absent trusts only a complete, successful list: the newest one when it lacks the id, else one taken now.
func TestAbsent(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	kept := f.add("https://kept")
	gone := f.add("https://gone")
	s := newStore(f)
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	// Deleted outside, after the list: the list still holds it, so a new list decides.
	_ = f.remove(gone.ID)
	if absent, err := s.Absent(ctx, gone.ID); err != nil || !absent || f.lists.Load() != 2 {
		t.Fatalf("Absent(gone) = %v, %v after %d lists; want true after a new list", absent, err, f.lists.Load())
	}
	// The newest list lacks it: no further list is needed, for one caller or many.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if absent, err := s.Absent(ctx, gone.ID); err != nil || !absent {
				t.Errorf("Absent(gone) again = %v, %v", absent, err)
			}
		}()
	}
	wg.Wait()
	if n := f.lists.Load(); n != 2 {
		t.Fatalf("%d lists, want still 2", n)
	}
	if absent, err := s.Absent(ctx, kept.ID); err != nil || absent {
		t.Fatalf("Absent(kept) = %v, %v; want false", absent, err)
	}
	// When the newest list holds it, a new list decides, and one that fails says nothing.
	f.listErr = errors.New("404 page not found")
	if absent, err := s.Absent(ctx, kept.ID); err == nil || absent {
		t.Fatalf("with a failing list Absent = %v, %v; want an error", absent, err)
	}
}

// A webhook this process made after the newest list is not proved gone by that list.
func TestAbsentIgnoresListsOlderThanTheCreate(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	s := newStore(f)
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Second)
	spec, _ := createSpec(f, "https://new")
	made, err := s.CreateOnce(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	lists := f.lists.Load()
	if absent, err := s.Absent(ctx, made.Item.ID); err != nil || absent || f.lists.Load() != lists+1 {
		t.Fatalf("Absent(just made) = %v, %v with %d new lists; want false after one new list", absent, err, f.lists.Load()-lists)
	}
}

// A create reports the identical webhooks its baseline held, except those this process made or deleted.
func TestCreateOnceReportsIdenticalWebhooks(t *testing.T) {
	ctx := context.Background()
	f := newFake()
	left := f.add("https://same")    // left by an interrupted apply, or made by hand
	deleted := f.add("https://same") // deleted by this process just before (a replacement)
	f.add("https://other")
	s := newStore(f)
	if _, err := s.List(ctx); err != nil {
		t.Fatal(err)
	}
	_ = f.remove(deleted.ID)
	s.Deleted(deleted.ID)
	first, _ := createSpec(f, "https://same")
	made, err := s.CreateOnce(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(made.Identical) != 1 || made.Identical[0].ID != left.ID {
		t.Fatalf("identical = %+v, want only %s", made.Identical, left.ID)
	}
	// A second create of the same URL in this process does not count the first one's webhook.
	second, _ := createSpec(f, "https://same")
	again, err := s.CreateOnce(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Identical) != 1 || again.Identical[0].ID != left.ID {
		t.Fatalf("identical = %+v, want only %s", again.Identical, left.ID)
	}
}

// Others reads the shared list: the webhooks that are the same as one, that one excepted, as copies.
func TestOthers(t *testing.T) {
	f := newFake()
	own := f.add("https://same")
	twin := f.add("https://same")
	f.add("https://other")
	s := newStore(f)
	got, err := s.Others(context.Background(), own.ID, func(h hook) bool { return h.URL == "https://same" })
	if err != nil || len(got) != 1 || got[0].ID != twin.ID {
		t.Fatalf("Others = %+v, %v; want %s alone", got, err, twin.ID)
	}
	if _, err := s.Others(context.Background(), own.ID, func(hook) bool { return true }); err != nil || f.lists.Load() != 1 {
		t.Fatalf("a second look took another list (%d) or failed: %v", f.lists.Load(), err)
	}
}
