package inventory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeService is an in-memory service: a list of ids with a URL each, and a switchboard of failures.
type fakeService struct {
	mu      sync.Mutex
	hooks   map[string]string // id -> url
	next    int
	lists   atomic.Int32
	entered chan struct{} // receives once per list call, so tests can wait for a list to be in flight
	gate    chan struct{} // when set, the first list call waits for it (to hold a list in flight)
	listErr error
}

type hook struct{ ID, URL string }

func newFake() *fakeService {
	return &fakeService{hooks: map[string]string{}, entered: make(chan struct{}, 1000)}
}

func (f *fakeService) add(url string) hook {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprintf("wh_%d", f.next)
	f.hooks[id] = url
	return hook{id, url}
}

func (f *fakeService) list(ctx context.Context) ([]hook, error) {
	first := f.lists.Add(1) == 1
	f.entered <- struct{}{}
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
	for id, url := range f.hooks {
		out = append(out, hook{id, url})
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
	for _, u := range f.hooks {
		if u == url {
			n++
		}
	}
	return n
}

func newStore(f *fakeService) *Store[hook] {
	return New(f.list, func(h hook) string { return h.ID }, time.Minute)
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
	s := New(f.list, func(h hook) string { return h.ID }, time.Nanosecond)
	for range 2 { // the second time, a nanosecond has passed: the list is stale
		if _, err := s.List(context.Background()); err != nil {
			t.Fatal(err)
		}
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

var errLost = errors.New("connection reset")

func ambiguous(err error) bool { return errors.Is(err, errLost) }

// createSpec makes a Create whose attempts fail as scripted: "lost-after" stores the webhook and loses the answer,
// "lost-before" stores nothing, "reject" is a definite refusal, "ok" succeeds.
func createSpec(f *fakeService, url string, script ...string) (Create[hook], *atomic.Int32) {
	var attempt atomic.Int32
	return Create[hook]{
		Key:      url,
		Describe: "webhook for " + url,
		Do: func(context.Context) (hook, error) {
			i := int(attempt.Add(1)) - 1
			step := "ok"
			if i < len(script) {
				step = script[i]
			}
			switch step {
			case "lost-after":
				f.add(url)
				return hook{}, errLost
			case "lost-before":
				return hook{}, errLost
			case "reject":
				return hook{}, errors.New("400 invalid url")
			}
			return f.add(url), nil
		},
		Matches:   func(h hook) bool { return h.URL == url },
		Delete:    func(_ context.Context, h hook) error { return f.remove(h.ID) },
		Attempts:  5,
		Ambiguous: ambiguous,
		Wait:      func(error, int) time.Duration { return 0 },
	}, &attempt
}

func TestCreateOnceDeletesWhatLostAttemptsMade(t *testing.T) {
	f := newFake()
	f.add("https://same") // an identical webhook that existed before: never touched
	s := newStore(f)
	spec, attempts := createSpec(f, "https://same", "lost-after", "lost-before", "lost-after")
	got, err := s.CreateOnce(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if attempts.Load() != 4 {
		t.Fatalf("%d attempts, want 4", attempts.Load())
	}
	if n := f.count("https://same"); n != 2 {
		t.Fatalf("%d webhooks with the URL, want 2 (the old one and ours)", n)
	}
	if _, ok := f.hooks["wh_1"]; !ok {
		t.Fatal("the pre-existing identical webhook was deleted")
	}
	if got.ID == "wh_1" {
		t.Fatal("returned the pre-existing webhook")
	}
}

func TestCreateOnceAdoptsInsteadOfDeleting(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, attempts := createSpec(f, "https://adopt", "lost-after")
	spec.Adopt = true
	got, err := s.CreateOnce(context.Background(), spec)
	if err != nil || got.ID == "" {
		t.Fatalf("got %v, %v", got, err)
	}
	if attempts.Load() != 1 || f.count("https://adopt") != 1 {
		t.Fatalf("%d attempts, %d webhooks; want 1 and 1", attempts.Load(), f.count("https://adopt"))
	}
}

func TestCreateOnceNeverMistakesItsOwnEarlierCreate(t *testing.T) {
	f := newFake()
	s := newStore(f)
	first, _ := createSpec(f, "https://twin")
	made, err := s.CreateOnce(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	// A second resource with the same URL whose first attempt is lost: only its own webhook may be deleted.
	second, _ := createSpec(f, "https://twin", "lost-after")
	if _, err := s.CreateOnce(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.hooks[made.ID]; !ok {
		t.Fatal("the first resource's webhook was deleted as an orphan")
	}
	if n := f.count("https://twin"); n != 2 {
		t.Fatalf("%d webhooks, want 2", n)
	}
}

func TestCreateOnceGivesUpCleanly(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, attempts := createSpec(f, "https://flaky", "lost-after", "lost-after", "lost-after", "lost-after", "lost-after", "ok")
	_, err := s.CreateOnce(context.Background(), spec)
	var gave *GaveUpError
	if !errors.As(err, &gave) || attempts.Load() != 5 {
		t.Fatalf("want GaveUpError after 5 attempts, got %v after %d", err, attempts.Load())
	}
	if f.count("https://flaky") != 0 {
		t.Fatal("giving up left webhooks behind")
	}
}

func TestCreateOnceStopsAtDefiniteRejection(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, attempts := createSpec(f, "https://bad", "reject")
	if _, err := s.CreateOnce(context.Background(), spec); err == nil || attempts.Load() != 1 {
		t.Fatalf("err %v after %d attempts", err, attempts.Load())
	}
}

func TestCreateOnceReportsUnknownOutcomeWhenListFails(t *testing.T) {
	f := newFake()
	s := newStore(f)
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	spec, _ := createSpec(f, "https://dark", "lost-after")
	f.listErr = errors.New("503")
	_, err := s.CreateOnce(context.Background(), spec)
	var unknown *UnknownOutcomeError
	if !errors.As(err, &unknown) {
		t.Fatalf("want UnknownOutcomeError, got %v", err)
	}
}

func TestCreateOnceReturnsOrphanItCannotDelete(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, _ := createSpec(f, "https://stuck", "lost-after")
	spec.Delete = func(context.Context, hook) error { return errors.New("503 on delete") }
	got, err := s.CreateOnce(context.Background(), spec)
	if !IsOrphan(err) || got.ID == "" {
		t.Fatalf("want the orphan and an OrphanError, got %v, %v", got, err)
	}
}

func TestCreateOnceCleansUpWhenInterrupted(t *testing.T) {
	f := newFake()
	s := newStore(f)
	ctx, cancel := context.WithCancel(context.Background())
	spec, _ := createSpec(f, "https://interrupted")
	spec.Do = func(context.Context) (hook, error) {
		f.add("https://interrupted") // the server made it...
		cancel()                     // ...as the user pressed Ctrl-C
		return hook{}, fmt.Errorf("%w: %w", errLost, context.Canceled)
	}
	_, err := s.CreateOnce(ctx, spec)
	var interrupted *InterruptedError
	if !errors.As(err, &interrupted) {
		t.Fatalf("want InterruptedError, got %v", err)
	}
	if f.count("https://interrupted") != 0 {
		t.Fatal("an interrupted create left its webhook behind")
	}
}
