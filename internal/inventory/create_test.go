package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

var (
	errLost  = errors.New("connection reset")
	errInUse = errors.New("409 idempotency_key_in_use")
)

// testPolicy allows attempts tries within bound (none when zero), retries every unknown outcome, and never waits.
type testPolicy struct {
	attempts int
	bound    time.Duration
}

func (p *testPolicy) MaxAttempts() int                         { return p.attempts }
func (p *testPolicy) MaxElapsed() time.Duration                { return p.bound }
func (p *testPolicy) OutcomeUnknown(err error) bool            { return errors.Is(err, errLost) }
func (p *testPolicy) RetryCreate(error) bool                   { return true }
func (p *testPolicy) WaitBeforeRetry(error, int) time.Duration { return 0 }
func (p *testPolicy) KeyInUse(err error) bool                  { return errors.Is(err, errInUse) }

// createSpec makes a Create without a key whose attempts fail as scripted: "lost-after" stores the webhook and
// loses the answer, "lost-before" stores nothing, "reject" is a definite refusal, "ok" succeeds.
func createSpec(f *fakeService, url string, script ...string) (Create[hook], *atomic.Int32) {
	var attempt atomic.Int32
	return Create[hook]{
		Fingerprint: url,
		Describe:    "webhook for " + url,
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
		Matches: func(h hook) bool { return h.URL == url },
		Policy:  &testPolicy{attempts: 5},
	}, &attempt
}

// keyedService is a fakeService that honours idempotency keys (unless ignore): a request whose key it has
// processed gets the webhook it made then.
type keyedService struct {
	*fakeService
	mu      sync.Mutex
	results map[string]hook
	ignore  bool
	deletes atomic.Int32
}

func newKeyed() *keyedService {
	return &keyedService{fakeService: newFake(), results: map[string]hook{}}
}

func (k *keyedService) process(key, url string) hook {
	k.mu.Lock()
	defer k.mu.Unlock()
	if h, ok := k.results[key]; ok && !k.ignore {
		return h
	}
	h := k.add(url)
	k.results[key] = h
	return h
}

// keyedSpec makes a keyed Create whose requests go as scripted: "lost" is processed (or replayed) and its answer
// lost, "lost-before" never reaches the service, "in-use" is a 409, "reject" a definite refusal, "ok" (and every
// request past the script) is processed and answered.
func keyedSpec(k *keyedService, url string, script ...string) (Create[hook], *atomic.Int32) {
	var sends atomic.Int32
	key := "key-" + url
	return Create[hook]{
		Fingerprint: url,
		Describe:    "webhook for " + url,
		Key:         key,
		Do: func(context.Context) (hook, error) {
			i := int(sends.Add(1)) - 1
			step := "ok"
			if i < len(script) {
				step = script[i]
			}
			switch step {
			case "lost":
				k.process(key, url)
				return hook{}, errLost
			case "lost-before":
				return hook{}, errLost
			case "in-use":
				return hook{}, errInUse
			case "reject":
				return hook{}, errors.New("401 token revoked")
			}
			return k.process(key, url), nil
		},
		Matches: func(h hook) bool { return h.URL == url },
		Delete: func(_ context.Context, h hook) error {
			k.deletes.Add(1)
			return k.remove(h.ID)
		},
		Policy: &testPolicy{attempts: 5},
	}, &sends
}

// A keyed create whose answers are lost, refused as still in flight or never sent is settled by re-sending it:
// the answer that comes is the one webhook the first processing made, and nothing is deleted.
func TestCreateKeyedSettlesByResending(t *testing.T) {
	k := newKeyed()
	s := newStore(k.fakeService)
	spec, sends := keyedSpec(k, "https://k", "lost", "lost-before", "in-use", "lost")
	made, err := s.CreateOnce(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if sends.Load() != 5 || k.count("https://k") != 1 || made.Item.ID != "wh_1" || k.deletes.Load() != 0 {
		t.Fatalf("%d sends, %d webhooks, got %s, %d deletes; want 5, 1, wh_1, 0", sends.Load(), k.count("https://k"),
			made.Item.ID, k.deletes.Load())
	}
	if !made.InDoubt || len(made.Appeared) != 0 || made.Adopted || made.CheckErr != nil {
		t.Fatalf("made %+v: want in doubt, nothing appeared, not adopted", made)
	}
}

// While a keyed create is in doubt, another client makes an identical webhook. The create's own answer settles it;
// the other webhook is never taken or deleted, and is reported as having appeared beside it.
func TestCreateKeyedNeverTakesAnIdenticalWebhook(t *testing.T) {
	k := newKeyed()
	s := newStore(k.fakeService)
	spec, _ := keyedSpec(k, "https://shared")
	do := spec.Do
	var theirs hook
	first := true
	spec.Do = func(ctx context.Context) (hook, error) {
		if first {
			first = false
			theirs = k.add("https://shared") // another run's, made while ours is in doubt
			return hook{}, errLost           // ours never reached the service
		}
		return do(ctx)
	}
	made, err := s.CreateOnce(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if made.Item.ID == theirs.ID || !k.has(theirs.ID) || k.count("https://shared") != 2 || k.deletes.Load() != 0 {
		t.Fatalf("got %s; theirs %s kept %v; %d webhooks; %d deletes", made.Item.ID, theirs.ID, k.has(theirs.ID),
			k.count("https://shared"), k.deletes.Load())
	}
	if len(made.Appeared) != 1 || made.Appeared[0].ID != theirs.ID || len(made.Beside) != 1 {
		t.Fatalf("appeared %+v, beside %v; want theirs named", made.Appeared, made.Beside)
	}
}

// Against a service that ignores keys, a re-send makes a second webhook. It is never deleted on a guess: the
// create names it.
func TestCreateKeyedWithKeysIgnoredNamesTheSecond(t *testing.T) {
	k := newKeyed()
	k.ignore = true
	s := newStore(k.fakeService)
	spec, _ := keyedSpec(k, "https://ignored", "lost")
	made, err := s.CreateOnce(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if k.count("https://ignored") != 2 || k.deletes.Load() != 0 || made.Item.ID != "wh_2" {
		t.Fatalf("%d webhooks, %d deletes, got %s", k.count("https://ignored"), k.deletes.Load(), made.Item.ID)
	}
	if len(made.Appeared) != 1 || made.Appeared[0].ID != "wh_1" {
		t.Fatalf("appeared %+v, want wh_1", made.Appeared)
	}
}

// Answers that leave the outcome unknown are re-sent up to MaxAttempts; a 409 does not count. Past that, the
// error says what may be on the server, and never that nothing is.
func TestCreateKeyedUnsettled(t *testing.T) {
	k := newKeyed()
	s := newStore(k.fakeService)
	spec, sends := keyedSpec(k, "https://dark", "in-use", "lost", "in-use", "lost", "lost", "lost", "lost", "ok")
	spec.Policy = &testPolicy{attempts: 3}
	_, err := s.CreateOnce(context.Background(), spec)
	var unsettled *UnsettledError
	if !errors.As(err, &unsettled) || sends.Load() != 5 {
		t.Fatalf("want an UnsettledError after 5 sends (3 unknown, 2 in use), got %v after %d", err, sends.Load())
	}
	// What the first request made is named (nothing tells it from another configuration's), never deleted.
	for _, want := range []string{"key-https://dark", "sent 5 time(s)", "may have made the webhook", "appeared meanwhile: wh_1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "nothing is left") || k.deletes.Load() != 0 || k.count("https://dark") != 1 {
		t.Fatalf("the error claims what it cannot know, or something was deleted: %v", err)
	}
	// When nothing appeared, the error says where a late one will be named.
	spec, _ = keyedSpec(k, "https://never-arrived", "lost-before", "lost-before", "lost-before")
	spec.Policy = &testPolicy{attempts: 3}
	if _, err = s.CreateOnce(context.Background(), spec); !errors.As(err, &unsettled) ||
		!strings.Contains(err.Error(), "the next apply that creates this webhook names it in a warning") {
		t.Fatalf("want an UnsettledError that says what comes next, got %v", err)
	}

	// A definite refusal after an unknown outcome does not settle it.
	spec, _ = keyedSpec(k, "https://revoked", "lost", "reject")
	_, err = s.CreateOnce(context.Background(), spec)
	if !errors.As(err, &unsettled) || unsettled.AfterDoubt == nil || !strings.Contains(err.Error(), "401 token revoked") {
		t.Fatalf("want an UnsettledError after the doubt, got %v", err)
	}
	// A definite refusal first made nothing: it is the error.
	spec, sends = keyedSpec(k, "https://bad", "reject")
	if _, err = s.CreateOnce(context.Background(), spec); err == nil || errors.As(err, &unsettled) || sends.Load() != 1 {
		t.Fatalf("err %v after %d sends, want the refusal after 1", err, sends.Load())
	}
}

// Keys in use are waited out within the create's bound, and no longer. The service takes 10ms to answer each
// request, on the bubble's clock.
func TestCreateKeyedBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k := newKeyed()
		s := newStore(k.fakeService)
		spec, sends := keyedSpec(k, "https://busy")
		spec.Do = func(ctx context.Context) (hook, error) {
			sends.Add(1)
			time.Sleep(10 * time.Millisecond)
			return hook{}, errInUse
		}
		spec.Policy = &testPolicy{attempts: 5, bound: 200 * time.Millisecond}
		start := time.Now()
		_, err := s.CreateOnce(context.Background(), spec)
		var unsettled *UnsettledError
		if !errors.As(err, &unsettled) || unsettled.Bound != 200*time.Millisecond || !strings.Contains(err.Error(), "within 200ms") {
			t.Fatalf("want an UnsettledError naming the bound, got %v", err)
		}
		// A 409 is not counted against the attempts (5): it did nothing, so it is sent again until the bound.
		if took := time.Since(start); took > 200*time.Millisecond || sends.Load() <= 5 {
			t.Fatalf("%d sends in %v: want more than 5 (409s uncounted), within the 200ms bound", sends.Load(), took)
		}
	})
}

// An interrupted keyed create re-sends its request with the key to learn what it made, deletes that webhook, and
// says so.
func TestCreateKeyedInterrupted(t *testing.T) {
	k := newKeyed()
	existing := k.add("https://int") // an identical webhook that was there before: never touched
	s := newStore(k.fakeService)
	ctx, cancel := context.WithCancel(context.Background())
	spec, sends := keyedSpec(k, "https://int")
	spec.Do = func(context.Context) (hook, error) {
		if sends.Add(1) == 1 {
			k.process(spec.Key, "https://int") // the service made it...
			cancel()                           // ...as the user pressed Ctrl-C
			return hook{}, fmt.Errorf("%w: %w", errLost, context.Canceled)
		}
		return k.process(spec.Key, "https://int"), nil // the clean-up's re-send: the stored answer
	}
	_, err := s.CreateOnce(ctx, spec)
	var ie *InterruptedError
	if !errors.As(err, &ie) || ie.Deleted != "wh_2" || sends.Load() != 2 {
		t.Fatalf("want an InterruptedError that deleted wh_2 after 2 sends, got %v after %d", err, sends.Load())
	}
	if k.count("https://int") != 1 || !k.has(existing.ID) || !errors.Is(err, context.Canceled) {
		t.Fatalf("%d webhooks left, the earlier one kept: %v", k.count("https://int"), k.has(existing.ID))
	}
	for _, want := range []string{"was interrupted", "Re-sent with its Idempotency-Key key-https://int", "wh_2, which the provider then deleted"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}

	// When the re-send cannot learn, the error says that a webhook may exist.
	ctx, cancel = context.WithCancel(context.Background())
	spec, _ = keyedSpec(k, "https://unlearned")
	spec.Do = func(context.Context) (hook, error) {
		if ctx.Err() == nil {
			cancel()
			return hook{}, fmt.Errorf("%w: %w", errLost, context.Canceled)
		}
		return hook{}, errors.New("403 missing_scope")
	}
	_, err = s.CreateOnce(ctx, spec)
	if !errors.As(err, &ie) || ie.Unlearned == nil || !strings.Contains(err.Error(), "A webhook may have been made that no state records") ||
		strings.Contains(err.Error(), "nothing") {
		t.Fatalf("want an InterruptedError that could not learn, got %v", err)
	}

	// Interrupted before anything was sent: nothing made, and it says so.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	spec, sends = keyedSpec(k, "https://never")
	if _, err = s.CreateOnce(ctx, spec); !errors.As(err, &ie) || ie.Sent || sends.Load() != 0 ||
		!strings.Contains(err.Error(), "before its request was sent, so it made nothing") {
		t.Fatalf("want an InterruptedError before any send, got %v after %d sends", err, sends.Load())
	}
}

// A webhook the interrupted create's re-send names and that cannot be deleted is returned with an OrphanError.
func TestCreateKeyedOrphan(t *testing.T) {
	k := newKeyed()
	s := newStore(k.fakeService)
	ctx, cancel := context.WithCancel(context.Background())
	spec, _ := keyedSpec(k, "https://stuck")
	do := spec.Do
	spec.Do = func(c context.Context) (hook, error) {
		if ctx.Err() == nil {
			cancel()
			return hook{}, fmt.Errorf("%w: %w", errLost, context.Canceled)
		}
		return do(c)
	}
	spec.Delete = func(context.Context, hook) error { return errors.New("503 on delete") }
	made, err := s.CreateOnce(ctx, spec)
	if !IsOrphan(err) || made.Item.ID == "" || !strings.Contains(err.Error(), made.Item.ID) {
		t.Fatalf("want the orphan and an OrphanError naming it, got %+v, %v", made.Item, err)
	}
}

// A create in doubt keeps watching: a webhook identical to its own that a later list shows (a late commit) is
// reported once by Arrivals; one this process makes itself is not.
func TestArrivalsAfterACreateInDoubt(t *testing.T) {
	k := newKeyed()
	s := newStore(k.fakeService)
	spec, _ := keyedSpec(k, "https://late", "lost-before")
	made, err := s.CreateOnce(context.Background(), spec)
	if err != nil || !made.InDoubt {
		t.Fatalf("%+v, %v", made, err)
	}
	if got := s.Arrivals(); len(got) != 0 {
		t.Fatalf("arrivals before anything appeared: %+v", got)
	}
	// This process makes another identical webhook (count over one endpoint): not an arrival.
	again, _ := keyedSpec(k, "https://late")
	again.Key = "another-key"
	if _, err := s.CreateOnce(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	late := k.add("https://late") // stored late, or made by someone else
	if _, err := s.Relist(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := s.Arrivals()
	if len(got) != 1 || got[0].Item.ID != late.ID || got[0].Beside != made.Item.ID {
		t.Fatalf("arrivals %+v, want %s beside %s", got, late.ID, made.Item.ID)
	}
	if _, err := s.Relist(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.Arrivals(); len(got) != 0 {
		t.Fatalf("an arrival reported twice: %+v", got)
	}
}

// A create without a key adopts the webhook a lost attempt made, and says so.
func TestCreateListedAdoptsAndSaysSo(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, attempts := createSpec(f, "https://adopt", "lost-after")
	made, err := s.CreateOnce(context.Background(), spec)
	if err != nil || made.Item.ID == "" || !made.Adopted || !made.InDoubt {
		t.Fatalf("got %+v, %v; want the webhook, adopted", made, err)
	}
	if attempts.Load() != 1 || f.count("https://adopt") != 1 {
		t.Fatalf("%d attempts, %d webhooks; want 1 and 1", attempts.Load(), f.count("https://adopt"))
	}
}

// Attempts that made nothing are tried again; an identical webhook that was there before is never touched.
func TestCreateListedRetriesWhatMadeNothing(t *testing.T) {
	f := newFake()
	f.add("https://same")
	s := newStore(f)
	spec, attempts := createSpec(f, "https://same", "lost-before", "lost-before")
	made, err := s.CreateOnce(context.Background(), spec)
	if err != nil || made.Adopted || attempts.Load() != 3 || f.count("https://same") != 2 || !f.has("wh_1") || made.Item.ID == "wh_1" {
		t.Fatalf("got %+v, %v after %d attempts, %d webhooks", made, err, attempts.Load(), f.count("https://same"))
	}
	if len(made.Identical) != 1 || made.Identical[0].ID != "wh_1" || len(made.Appeared) != 0 {
		t.Fatalf("identical %+v, appeared %+v; want wh_1 identical, nothing appeared", made.Identical, made.Appeared)
	}
}

func TestCreateListedNeverMistakesItsOwnEarlierCreate(t *testing.T) {
	f := newFake()
	s := newStore(f)
	first, _ := createSpec(f, "https://twin")
	made, err := s.CreateOnce(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	// A second resource with the same URL whose first attempt is lost: only its own webhook may be adopted.
	second, _ := createSpec(f, "https://twin", "lost-after")
	again, err := s.CreateOnce(context.Background(), second)
	if err != nil || again.Item.ID == made.Item.ID || !again.Adopted {
		t.Fatalf("the second create got %+v, %v", again, err)
	}
	if n := f.count("https://twin"); n != 2 {
		t.Fatalf("%d webhooks, want 2", n)
	}
}

func TestCreateListedGivesUpHonestly(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, attempts := createSpec(f, "https://flaky", "lost-before", "lost-before", "lost-before", "lost-before", "lost-before", "ok")
	_, err := s.CreateOnce(context.Background(), spec)
	var gave *GaveUpError
	if !errors.As(err, &gave) || attempts.Load() != 5 || f.count("https://flaky") != 0 {
		t.Fatalf("want GaveUpError after 5 attempts and nothing made, got %v after %d", err, attempts.Load())
	}
	if strings.Contains(err.Error(), "nothing is left") || !strings.Contains(err.Error(), "may still store a webhook") {
		t.Fatalf("the error claims what a list cannot prove: %v", err)
	}
}

func TestCreateStopsAtDefiniteRejection(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, attempts := createSpec(f, "https://bad", "reject")
	if _, err := s.CreateOnce(context.Background(), spec); err == nil || attempts.Load() != 1 {
		t.Fatalf("err %v after %d attempts", err, attempts.Load())
	}
}

func TestCreateListedReportsUnknownOutcomeWhenListFails(t *testing.T) {
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

// An interrupted create without a key adopts what its request made, as its recovery would; nothing is deleted.
// When the list shows nothing, the error says that a late one may still come.
func TestCreateListedInterrupted(t *testing.T) {
	f := newFake()
	s := newStore(f)
	ctx, cancel := context.WithCancel(context.Background())
	spec, _ := createSpec(f, "https://interrupted")
	spec.Do = func(context.Context) (hook, error) {
		f.add("https://interrupted") // the server made it...
		cancel()                     // ...as the user pressed Ctrl-C
		return hook{}, fmt.Errorf("%w: %w", errLost, context.Canceled)
	}
	made, err := s.CreateOnce(ctx, spec)
	if err != nil || !made.Adopted || f.count("https://interrupted") != 1 {
		t.Fatalf("got %+v, %v with %d webhooks; want the webhook adopted", made, err, f.count("https://interrupted"))
	}

	ctx, cancel = context.WithCancel(context.Background())
	spec, _ = createSpec(f, "https://nothing")
	spec.Do = func(context.Context) (hook, error) {
		cancel()
		return hook{}, fmt.Errorf("%w: %w", errLost, context.Canceled)
	}
	_, err = s.CreateOnce(ctx, spec)
	var ie *InterruptedError
	if !errors.As(err, &ie) || !ie.Listed || !strings.Contains(err.Error(), "may still store a webhook") ||
		strings.Contains(err.Error(), "nothing is left") {
		t.Fatalf("want an honest InterruptedError, got %v", err)
	}
}

// A list taken long before an attempt does not judge it: someone else's identical webhook made since then would
// look like the attempt's own. The attempt lists again first.
func TestCreateListedComparesWithARecentList(t *testing.T) {
	f := newFake()
	s := newStore(f)
	if _, err := s.List(context.Background()); err != nil { // the process's first list, early in a long apply
		t.Fatal(err)
	}
	f.advance(time.Minute)
	theirs := f.add("https://shared") // made by someone else, a minute later
	f.advance(time.Minute)
	spec, attempts := createSpec(f, "https://shared", "lost-before") // ours is lost before it was made
	made, err := s.CreateOnce(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if made.Item.ID == theirs.ID || !f.has(theirs.ID) || attempts.Load() != 2 || f.count("https://shared") != 2 {
		t.Fatalf("got %s after %d attempts, theirs (%s) kept %v, %d webhooks; want a new one after 2, theirs untouched",
			made.Item.ID, attempts.Load(), theirs.ID, f.has(theirs.ID), f.count("https://shared"))
	}
}

// When an identical webhook appears beside the attempt's own, neither is touched: adopting the wrong one would
// take someone else's. The error names both and what to do.
func TestCreateListedLeavesAmbiguousTwinsAlone(t *testing.T) {
	f := newFake()
	s := newStore(f)
	spec, attempts := createSpec(f, "https://twins")
	spec.Do = func(context.Context) (hook, error) {
		attempts.Add(1)
		f.add("https://twins") // another client's, at the same moment
		f.add("https://twins") // ours, whose answer is lost
		return hook{}, errLost
	}
	made, err := s.CreateOnce(context.Background(), spec)
	var amb *AmbiguousError
	if !errors.As(err, &amb) || made.Item.ID != "" || attempts.Load() != 1 || f.count("https://twins") != 2 {
		t.Fatalf("got %q, %v after %d attempts, %d webhooks; want an AmbiguousError, nothing returned, both left",
			made.Item.ID, err, attempts.Load(), f.count("https://twins"))
	}
	for _, want := range []string{"wh_1", "wh_2", "left them all alone", "If one of them is this configuration's"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}

// A whole create, its recovery included, ends within its bound even when the service stops answering.
func TestCreateListedIsBoundedWhenTheListStalls(t *testing.T) {
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
	for _, keyed := range []bool{false, true} {
		k := newKeyed()
		s := newStore(k.fakeService)
		if _, err := s.List(context.Background()); err != nil {
			t.Fatal(err)
		}
		run := func(prefix string) {
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					url := fmt.Sprintf("https://%s/%d", prefix, i)
					spec, _ := createSpec(k.fakeService, url)
					if keyed {
						spec, _ = keyedSpec(k, url)
					}
					if _, err := s.CreateOnce(context.Background(), spec); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
		}
		run("fresh") // judged by the list just taken
		if n := k.lists.Load(); n != 1 {
			t.Fatalf("keyed %v: %d lists for 20 creates judged by a fresh list, want the 1 taken before", keyed, n)
		}
		k.advance(BaselineAge + time.Second)
		run("stale") // the list is too old now: one new list judges them all
		if n := k.lists.Load(); n != 2 {
			t.Fatalf("keyed %v: %d lists after 20 more creates judged by a stale list, want 2", keyed, n)
		}
	}
}
