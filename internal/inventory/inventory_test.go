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

func (f *fakeService) list(ctx context.Context) (Listing[hook], error) {
	first := f.lists.Add(1) == 1
	f.entered <- struct{}{}
	if f.stall.Load() {
		<-ctx.Done()
		return Listing[hook]{}, ctx.Err()
	}
	if first && f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return Listing[hook]{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return Listing[hook]{}, f.listErr
	}
	out := make([]hook, 0, len(f.hooks))
	for _, h := range f.hooks {
		out = append(out, h)
	}
	return Listing[hook]{Items: out, ServerTime: f.now}, nil
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
		MadeSince: func(h hook, t time.Time) bool { return !h.Created.Before(t) },
		Delete:    func(_ context.Context, h hook) error { return f.remove(h.ID) },
		Policy:    &testPolicy{attempts: 5},
	}, &attempt
}

// testPolicy allows attempts tries within bound (none when zero), retries every ambiguous failure, and never
// waits.
type testPolicy struct {
	attempts int
	bound    time.Duration
}

func (p *testPolicy) MaxAttempts() int                         { return p.attempts }
func (p *testPolicy) MaxElapsed() time.Duration                { return p.bound }
func (p *testPolicy) OutcomeUnknown(err error) bool            { return ambiguous(err) }
func (p *testPolicy) RetryCreate(error) bool                   { return true }
func (p *testPolicy) WaitBeforeRetry(error, int) time.Duration { return 0 }

func TestCreateOnceDeletesWhatLostAttemptsMade(t *testing.T) {
	f := newFake()
	f.add("https://same") // an identical webhook that existed before: never touched
	s := newStore(f)
	spec, attempts := createSpec(f, "https://same", "lost-after", "lost-before", "lost-after")
	made, err := s.CreateOnce(context.Background(), spec)
	got := made.Item
	if err != nil {
		t.Fatal(err)
	}
	if attempts.Load() != 4 {
		t.Fatalf("%d attempts, want 4", attempts.Load())
	}
	if n := f.count("https://same"); n != 2 {
		t.Fatalf("%d webhooks with the URL, want 2 (the old one and ours)", n)
	}
	if !f.has("wh_1") {
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
	made, err := s.CreateOnce(context.Background(), spec)
	got := made.Item
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
	first1, err := s.CreateOnce(context.Background(), first)
	made := first1.Item
	if err != nil {
		t.Fatal(err)
	}
	// A second resource with the same URL whose first attempt is lost: only its own webhook may be deleted.
	second, _ := createSpec(f, "https://twin", "lost-after")
	if _, err := s.CreateOnce(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	if !f.has(made.ID) {
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
	made, err := s.CreateOnce(context.Background(), spec)
	got := made.Item
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

// A list taken long before an attempt does not judge it: someone else's identical webhook made since then would
// look like the attempt's own. The attempt lists again first.
func TestCreateOnceComparesWithARecentList(t *testing.T) {
	for _, adopt := range []bool{false, true} {
		f := newFake()
		s := newStore(f)
		if _, err := s.List(context.Background()); err != nil { // the process's first list, early in a long apply
			t.Fatal(err)
		}
		f.advance(time.Minute)
		theirs := f.add("https://shared") // made by someone else, a minute later
		f.advance(time.Minute)
		spec, attempts := createSpec(f, "https://shared", "lost-before") // ours is lost before it was made
		spec.Adopt = adopt
		spec.MadeSince = nil // as for a service that does not say when webhooks were made
		made, err := s.CreateOnce(context.Background(), spec)
		got := made.Item
		if err != nil {
			t.Fatalf("adopt=%v: %v", adopt, err)
		}
		if got.ID == theirs.ID || !f.has(theirs.ID) || attempts.Load() != 2 || f.count("https://shared") != 2 {
			t.Fatalf("adopt=%v: got %s after %d attempts, theirs (%s) kept %v, %d webhooks; want a new one after 2, "+
				"theirs untouched", adopt, got.ID, attempts.Load(), theirs.ID, f.has(theirs.ID), f.count("https://shared"))
		}
	}
}

// Where the service says when each webhook was made, a webhook made before the attempt began is not the
// attempt's, even if no list had shown it yet (a list that lags behind the service).
func TestCreateOnceIgnoresWebhooksMadeBeforeTheAttempt(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, attempts := createSpec(f, "https://lagging")
	do := spec.Do
	var theirs hook
	spec.Do = func(ctx context.Context) (hook, error) {
		if attempts.Load() == 0 {
			attempts.Add(1)
			theirs = f.addMadeAgo("https://lagging", 30*time.Second) // listed only now, made half a minute ago
			return hook{}, errLost                                   // and ours was lost before it was made
		}
		return do(ctx)
	}
	made, err := s.CreateOnce(context.Background(), spec)
	got := made.Item
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == theirs.ID || !f.has(theirs.ID) || f.count("https://lagging") != 2 {
		t.Fatalf("got %s; theirs (%s) kept %v; %d webhooks; want ours beside theirs", got.ID, theirs.ID, f.has(theirs.ID),
			f.count("https://lagging"))
	}
}

// When an identical webhook appears beside the attempt's own, neither is touched: deleting or adopting the wrong
// one would take someone else's. The error names both and what to do.
func TestCreateOnceLeavesAmbiguousTwinsAlone(t *testing.T) {
	for _, adopt := range []bool{false, true} {
		f := newFake()
		s := newStore(f)
		spec, attempts := createSpec(f, "https://twins")
		spec.Adopt = adopt
		spec.Do = func(context.Context) (hook, error) {
			attempts.Add(1)
			f.add("https://twins") // another client's, at the same moment
			f.add("https://twins") // ours, whose answer is lost
			return hook{}, errLost
		}
		spec.Delete = func(context.Context, hook) error { t.Error("deleted a webhook it could not prove its own"); return nil }
		made, err := s.CreateOnce(context.Background(), spec)
		got := made.Item
		var amb *AmbiguousError
		if !errors.As(err, &amb) || got.ID != "" || attempts.Load() != 1 || f.count("https://twins") != 2 {
			t.Fatalf("adopt=%v: got %q, %v after %d attempts, %d webhooks; want an AmbiguousError, nothing returned, "+
				"both left", adopt, got.ID, err, attempts.Load(), f.count("https://twins"))
		}
		for _, want := range []string{"wh_1", "wh_2", "left them all alone", "If one of them is this configuration's"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("adopt=%v: the error does not say %q: %v", adopt, want, err)
			}
		}
	}
}

// A whole create, its recovery included, ends within its bound even when the service stops answering.
func TestCreateOnceIsBoundedWhenTheListStalls(t *testing.T) {
	f := newFake()
	s := newStore(f)
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	spec, attempts := createSpec(f, "https://stalled")
	spec.Policy = &testPolicy{attempts: 5, bound: 400 * time.Millisecond}
	spec.Do = func(ctx context.Context) (hook, error) {
		attempts.Add(1)
		f.add("https://stalled")
		f.stall.Store(true) // from now on every list hangs until its caller gives up
		<-ctx.Done()        // and the answer never comes
		return hook{}, fmt.Errorf("%w: %w", errLost, ctx.Err())
	}
	_, err := s.CreateOnce(context.Background(), spec)
	var unknown *UnknownOutcomeError
	if !errors.As(err, &unknown) || attempts.Load() != 1 || !strings.Contains(err.Error(), "within 400ms, the time allowed for one create") {
		t.Fatalf("want an UnknownOutcomeError naming the 400ms bound after 1 attempt, got %v after %d", err, attempts.Load())
	}
}

// Concurrent creates judged by a stale list share one new list, so an apply of many creates costs one list per
// BaselineAge, not one per create.
func TestCreatesShareTheBaselineList(t *testing.T) {
	f := newFake()
	s := newStore(f)
	if _, err := s.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := func(prefix string) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				spec, _ := createSpec(f, fmt.Sprintf("https://%s/%d", prefix, i))
				if _, err := s.CreateOnce(context.Background(), spec); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	run("fresh") // judged by the list just taken
	if n := f.lists.Load(); n != 1 {
		t.Fatalf("%d lists for 20 creates judged by a fresh list, want the 1 taken before", n)
	}
	f.advance(BaselineAge + time.Second)
	run("stale") // the list is too old now: one new list judges them all
	if n := f.lists.Load(); n != 2 {
		t.Fatalf("%d lists after 20 more creates judged by a stale list, want 2", n)
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
