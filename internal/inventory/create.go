package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CleanupTimeout bounds the work that still runs after the caller's context is cancelled (an interrupted apply):
// learning what the interrupted create made, and deleting or keeping it, so that an interrupt does not leave a
// webhook nobody knows about. It also bounds the list that looks, after a create that was in doubt, for identical
// webhooks that appeared meanwhile.
const CleanupTimeout = 30 * time.Second

// Policy is how a create's attempts are bounded, judged and spaced: the transport's rules for the service
// (transport.Client implements it).
type Policy interface {
	// MaxAttempts bounds the attempts whose outcome is unknown: the first plus the configured retries.
	MaxAttempts() int
	// MaxElapsed bounds the whole create: every attempt, every wait and the recovery after a lost answer.
	MaxElapsed() time.Duration
	// OutcomeUnknown reports whether a failed attempt may nevertheless have made the webhook.
	OutcomeUnknown(error) bool
	// RetryCreate reports whether a failed attempt whose outcome is unknown is worth another.
	RetryCreate(error) bool
	// WaitBeforeRetry is the pause after a failed attempt (0-based) before the next.
	WaitBeforeRetry(err error, attempt int) time.Duration
	// KeyInUse reports whether an attempt that carried an idempotency key was refused because an earlier request
	// with the key is still being processed: it did nothing, and a later re-send gets the earlier one's answer.
	KeyInUse(error) bool
}

// Create describes one logical create for CreateOnce.
type Create[T any] struct {
	// Fingerprint identifies creates that could be mistaken for each other (same URL and events); one process
	// runs them one at a time.
	Fingerprint string
	// Describe names the webhook in errors, e.g. `Sellfern webhook for https://example.com/hook`.
	Describe string
	// Key is the idempotency key that every request of this create carries (Do sends it); "" for a service that
	// takes none. With a key, Do must send the same request every time.
	Key string
	// Do sends one create request.
	Do func(context.Context) (T, error)
	// Matches reports whether a listed webhook is identical to what Do makes.
	Matches func(T) bool
	// Delete removes the webhook that a keyed create interrupted by its caller turns out, by a re-send with its
	// key, to have made.
	Delete func(context.Context, T) error
	// Policy bounds, judges and spaces the attempts.
	Policy Policy
}

// Made is what CreateOnce made, and what it saw around it. Nothing listed here was touched: the caller tells the
// user about it.
type Made[T any] struct {
	Item T
	Around[T]
}

// Around is what a create saw around the webhook it made.
type Around[T any] struct {
	// Identical are the webhooks identical to Item that the create's baseline held and that this process neither
	// made nor deleted: another configuration's, one left by an interrupted apply or made by hand, this
	// configuration's own (count or for_each over one endpoint), or the webhook a create_before_destroy
	// replacement is about to delete. The provider cannot tell which.
	Identical []T
	// InDoubt says that some request of the create had an unknown outcome: it may have been carried out, or may
	// still be (a late commit).
	InDoubt bool
	// Adopted says that Item was not answered to any request but found in a list after a request whose answer was
	// lost, and taken for that request's own (a service without idempotency keys; see createListed).
	Adopted bool
	// When InDoubt, the create lists once more after it ends. Appeared are the webhooks identical to Item in that
	// list that its baseline did not hold and that this process neither made nor deleted: a second webhook made
	// by a re-send the service did not recognise (a key it ignored, a late commit), or another configuration's
	// made meanwhile. Beside are the ids of every webhook identical to Item in that list, Item excepted, so that a
	// later read can tell one that appears after them (Store.Arrivals, and the caller's own record). CheckErr is
	// that list's error when it failed; Appeared and Beside are then unknown.
	Appeared []T
	Beside   []string
	CheckErr error
}

// CreateOnce makes exactly one webhook, or none, however its requests fail, and never deletes a webhook it cannot
// prove it made. With an idempotency key the proof is the service's answer to a re-send of the same request
// (createKeyed), and nothing else is taken; without one, a list is all there is (createListed), which can adopt but
// never proves anything, so the caller says so. In either case a create whose outcome was in doubt lists once more when it
// ends, and reports what appeared beside it.
func (s *Store[T]) CreateOnce(ctx context.Context, c Create[T]) (Made[T], error) {
	bound := c.Policy.MaxElapsed()
	bounded, cancel := withBound(ctx, bound)
	defer cancel()
	// The attempts (attemptsCtx) leave a share of the bound for the list after the last of them: the one that
	// looks beside a create in doubt, or recovers one whose answer was lost.
	attemptsCtx, cancelAttempts := withBound(bounded, bound-recoveryShare(bound))
	defer cancelAttempts()
	unlock, b, err := s.prepare(ctx, attemptsCtx, c)
	if err != nil {
		return Made[T]{}, err
	}
	defer unlock()
	if c.Key != "" {
		return s.createKeyed(ctx, bounded, attemptsCtx, c, b)
	}
	return s.createListed(ctx, bounded, attemptsCtx, c, b)
}

// createKeyed settles a create by its idempotency key. Every request carries the same key and the same body, so
// a service that honours keys (as Sellfern documents) does the work at most once and answers every request with
// that one outcome. Each case is safe for that reason:
//
//   - An answer with the webhook (2xx) is this create's: processed now, or the stored answer of an earlier request
//     replayed, the one-time secret included. Nothing else can answer this key: it is fresh and sent by no other
//     operation.
//   - No answer, a 5xx, or a 2xx without the webhook leaves the outcome unknown: the request is sent again with the
//     key. If the earlier one was carried out, the service replays it; if not, it carries this one out. Either way
//     the answer that comes is the one webhook. max_retries bounds these re-sends, as it bounds every call's.
//   - A 409 (KeyInUse) says an earlier request with the key is still being processed (a late commit): nothing was
//     done with this one, so it is sent again after a wait, for as long as the create's time bound allows,
//     uncounted, like a 429.
//   - Any other answer is definite and did nothing: the create fails with it. If an earlier request's outcome was
//     unknown, that outcome still is (a token revoked in between does not undo a create), and the error says so.
//   - When the caller interrupts, the request may or may not have been carried out: it is sent once more with the
//     key, on a short detached context, to learn what it made, and that webhook, and no other, is deleted
//     (interruptedKeyed). When no answer comes, the error says that a webhook may exist.
//
// No webhook is ever deleted or adopted because of when or where it appeared. Against a service that ignores keys
// (a proxy that drops the header), a re-send may make a second webhook; the list taken when a create in doubt ends
// finds it, and the caller names it in a warning instead of deleting it (Made.Appeared).
func (s *Store[T]) createKeyed(ctx, bounded, attemptsCtx context.Context, c Create[T], b baseline[T]) (Made[T], error) {
	var none Made[T]
	bound := c.Policy.MaxElapsed()
	identical := s.identical(c, b)

	attempts := max(c.Policy.MaxAttempts(), 1)
	sends, unknown := 0, 0
	var doubt error // the last answer that left the outcome unknown, or a 409; nil while every answer was definite
	for {
		made, err := c.Do(attemptsCtx)
		sends++
		if err == nil {
			return s.made(bounded, c, b, made, identical, doubt != nil), nil
		}
		if ctx.Err() != nil {
			return s.interruptedKeyed(ctx, c, b)
		}
		unsettled := &UnsettledError{Describe: c.Describe, Key: c.Key, Sends: sends, Err: err}
		switch {
		case c.Policy.KeyInUse(err):
			doubt = err
		case c.Policy.OutcomeUnknown(err):
			doubt = err
			unknown++
			if attemptsCtx.Err() != nil {
				unsettled.Bound = bound
				return none, s.unsettled(bounded, c, b, unsettled)
			}
			if !c.Policy.RetryCreate(err) || unknown >= attempts {
				return none, s.unsettled(bounded, c, b, unsettled)
			}
		case doubt == nil:
			return none, err
		default:
			unsettled.AfterDoubt = doubt
			return none, s.unsettled(bounded, c, b, unsettled)
		}
		if !sleep(attemptsCtx, c.Policy.WaitBeforeRetry(err, sends-1)) {
			if ctx.Err() != nil {
				return s.interruptedKeyed(ctx, c, b)
			}
			unsettled.Bound = bound
			return none, s.unsettled(bounded, c, b, unsettled)
		}
	}
}

// unsettled names, in e, the identical webhooks that appeared since baseline b that this process neither made nor
// deleted: one of them may be what the unsettled create made. Naming is all: nothing tells which, if any, it is.
func (s *Store[T]) unsettled(ctx context.Context, c Create[T], b baseline[T], e *UnsettledError) error {
	e.Appeared, e.ListErr = s.appearedSince(ctx, c, b)
	return e
}

// appearedSince lists (a list requested now) and returns the ids of the webhooks identical to c's that baseline b
// did not hold and that this process neither made nor deleted.
func (s *Store[T]) appearedSince(ctx context.Context, c Create[T], b baseline[T]) ([]string, error) {
	items, err := s.listAfter(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, item := range items {
		if id := s.idOf(item); c.Matches(item) && s.newSince(b, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// interruptedKeyed finishes a keyed create that its caller interrupted after a request may have gone out: the
// request is sent again with its key, on a detached context bounded by CleanupTimeout, until an answer says what
// it made; that webhook is deleted. A webhook it cannot delete is returned with an *OrphanError, so that the caller
// records it rather than forgets it.
func (s *Store[T]) interruptedKeyed(ctx context.Context, c Create[T], b baseline[T]) (Made[T], error) {
	var none Made[T]
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
	defer cancel()
	ie := &InterruptedError{Describe: c.Describe, Key: c.Key, Sent: true, Err: ctx.Err()}
	for resend := 0; ; resend++ {
		made, err := c.Do(rctx)
		if err == nil {
			id := s.idOf(made)
			s.recordMade(id)
			s.Invalidate()
			if derr := c.Delete(rctx, made); derr != nil {
				return Made[T]{Item: made}, &OrphanError{Describe: c.Describe, ID: id, Key: c.Key, Err: derr}
			}
			ie.Deleted = id
			// A service that ignored the key made a second webhook for the re-send: the first may be there.
			ie.Appeared, _ = s.appearedSince(rctx, c, b)
			return none, ie
		}
		ie.Unlearned = err
		again := c.Policy.KeyInUse(err) || (c.Policy.OutcomeUnknown(err) && c.Policy.RetryCreate(err))
		if !again || !sleep(rctx, c.Policy.WaitBeforeRetry(err, resend)) {
			return none, ie
		}
	}
}

// createListed makes a webhook on a service that takes no idempotency key, where a re-sent create can make a
// second webhook and a list is the only way to look. When an attempt's outcome is unknown, a list taken
// afterwards is compared with its baseline, a list taken at most BaselineAge before the attempt: exactly one
// identical webhook that appeared in between is taken for the attempt's own and adopted (the create answer of
// such a service carries nothing a list lacks), two or more are left alone and named in the error, none means
// the attempt is tried again. None of this is proof: an identical webhook another configuration made at that
// moment would be adopted too, and a request the service stores later than the list (a late commit) is not seen
// at all. So an adopted webhook is reported (Made.Adopted), never kept silently, and the create lists once more
// when it ends, and its caller keeps watching (Made.Beside), so that a late one is named by the first read that
// meets it. Nothing is ever deleted: that would need proof. An interrupted create adopts in the same way, on a
// detached context.
func (s *Store[T]) createListed(ctx, bounded, attemptsCtx context.Context, c Create[T], first baseline[T]) (Made[T], error) {
	var none Made[T]
	bound := c.Policy.MaxElapsed()
	identical := s.identical(c, first)

	inDoubt := false
	attempts := max(c.Policy.MaxAttempts(), 1)
	for attempt := 0; ; attempt++ {
		b := first
		if attempt > 0 {
			var err error
			if b, err = s.baselineFor(attemptsCtx); err != nil {
				if attemptsCtx.Err() != nil {
					return none, s.stopped(ctx, c, err)
				}
				return none, baselineError(c, err)
			}
		}
		made, err := c.Do(attemptsCtx)
		s.Invalidate()
		if err == nil {
			return s.made(bounded, c, first, made, identical, inDoubt), nil
		}
		if !c.Policy.OutcomeUnknown(err) {
			return none, err
		}
		inDoubt = true

		// The caller's interrupt leaves a short, detached time to look; otherwise recovery has what is left of the
		// bound.
		interrupted := ctx.Err() != nil
		rctx := bounded
		if interrupted {
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
			defer cancel()
		}
		adopted, found, listed, rerr := s.reconcile(rctx, c, b)
		switch {
		case rerr != nil:
			return none, rerr
		case found:
			// The list that found it was requested after the attempt, which ended the create: it serves to look
			// beside it too.
			s.Invalidate()
			m := Made[T]{Item: adopted, Around: Around[T]{Identical: identical, InDoubt: true, Adopted: true}}
			s.lookBeside(c, first, &m, listed)
			return m, nil
		case interrupted:
			return none, &InterruptedError{Describe: c.Describe, Sent: true, Listed: true, Err: ctx.Err()}
		case attemptsCtx.Err() != nil:
			if ctx.Err() == nil {
				return none, &BoundError{Describe: c.Describe, Bound: bound, Err: err}
			}
			return none, s.stopped(ctx, c, err)
		case !c.Policy.RetryCreate(err):
			return none, err
		case attempt+1 >= attempts:
			return none, &GaveUpError{Describe: c.Describe, Attempts: attempts, Err: err}
		}
		if !sleep(attemptsCtx, c.Policy.WaitBeforeRetry(err, attempt)) {
			return none, s.stopped(ctx, c, attemptsCtx.Err())
		}
	}
}

// prepare takes the create's turn among identical creates of this process and its baseline list.
func (s *Store[T]) prepare(ctx, bounded context.Context, c Create[T]) (func(), baseline[T], error) {
	unlock, err := s.lock(bounded, c.Fingerprint)
	if err != nil {
		return nil, baseline[T]{}, s.stopped(ctx, c, err)
	}
	b, err := s.baselineFor(bounded)
	if err != nil {
		unlock()
		if bounded.Err() != nil {
			return nil, baseline[T]{}, s.stopped(ctx, c, err)
		}
		return nil, baseline[T]{}, baselineError(c, err)
	}
	if err := bounded.Err(); err != nil { // nothing was sent: nothing to find out
		unlock()
		return nil, baseline[T]{}, s.stopped(ctx, c, err)
	}
	return unlock, b, nil
}

func baselineError[T any](c Create[T], err error) error {
	return fmt.Errorf("listing existing webhooks before creating the %s (needed to tell what the create adds to "+
		"them): %w", c.Describe, err)
}

// made records what a create made, and, when the create was in doubt, looks once more (within ctx) for identical
// webhooks beside it.
func (s *Store[T]) made(ctx context.Context, c Create[T], b baseline[T], item T, identical []T, inDoubt bool) Made[T] {
	s.recordMade(s.idOf(item))
	s.Invalidate()
	m := Made[T]{Item: item, Around: Around[T]{Identical: identical, InDoubt: inDoubt}}
	if !inDoubt {
		return m
	}
	items, err := s.listAfter(ctx)
	if err != nil {
		m.CheckErr = err
		return m
	}
	s.lookBeside(c, b, &m, items)
	return m
}

// lookBeside fills in m, a create in doubt, the webhooks identical to it in items, a list requested after the
// create ended, and those of them that appeared since baseline b; and watches for more.
func (s *Store[T]) lookBeside(c Create[T], b baseline[T], m *Made[T], items []T) {
	id := s.idOf(m.Item)
	for _, other := range items {
		oid := s.idOf(other)
		if oid == id || !c.Matches(other) {
			continue
		}
		m.Beside = append(m.Beside, oid)
		if s.newSince(b, oid) {
			m.Appeared = append(m.Appeared, s.clone(other))
		}
	}
	s.watch(c, id, append([]string{id}, m.Beside...))
}

// newSince reports whether the webhook id is not in baseline b, nor in any list before it, and this process did
// not make it: it appeared since b, by someone else's hand or a late commit.
func (s *Store[T]) newSince(b baseline[T], id string) bool {
	return !s.listedBy(id, b.lists) && !s.madeHere(id)
}

// listAfter returns a list requested after this call began: concurrent callers share it.
func (s *Store[T]) listAfter(ctx context.Context) ([]T, error) {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	b, err := s.listedWhen(ctx, func(b baseline[T]) bool { return b.number > started })
	if err != nil {
		return nil, err
	}
	return s.copyOf(b.items), nil
}

// identical returns the webhooks of baseline b that match c and that this process neither made nor deleted.
func (s *Store[T]) identical(c Create[T], b baseline[T]) []T {
	var out []T
	for _, item := range b.items {
		if c.Matches(item) && !s.madeHere(s.idOf(item)) {
			out = append(out, s.clone(item))
		}
	}
	return out
}

// stopped explains why a create ended before any request went out: the caller's interrupt, or the bound.
func (s *Store[T]) stopped(ctx context.Context, c Create[T], err error) error {
	if ctx.Err() != nil {
		return &InterruptedError{Describe: c.Describe, Err: ctx.Err()}
	}
	return &BoundError{Describe: c.Describe, Bound: c.Policy.MaxElapsed(), Err: err, NotSent: true}
}

// withBound is context.WithTimeout for a positive bound, and the context itself otherwise.
func withBound(ctx context.Context, bound time.Duration) (context.Context, context.CancelFunc) {
	if bound <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, bound)
}

// recoveryShare is the part of a create's bound kept for finding out what a lost last attempt made.
func recoveryShare(bound time.Duration) time.Duration {
	return min(bound/4, CleanupTimeout)
}

// reconcile looks, for a create without a key, for what an attempt judged against baseline b made: exactly one
// candidate is adopted (found = true); several give an *AmbiguousError and are left alone. listed is the list it
// looked in, requested after the attempt.
func (s *Store[T]) reconcile(ctx context.Context, c Create[T], b baseline[T]) (kept T, found bool, listed []T, err error) {
	var zero T
	items, lerr := s.Relist(ctx)
	// Without this list nobody can tell whether the attempt made a webhook, so it gets a budget of its own on
	// top of the transport's retries, within the create's bound.
	for retry := 0; lerr != nil && c.Policy.OutcomeUnknown(lerr) && retry < c.Policy.MaxAttempts() && ctx.Err() == nil; retry++ {
		if !sleep(ctx, c.Policy.WaitBeforeRetry(lerr, retry)) {
			break
		}
		items, lerr = s.Relist(ctx)
	}
	if lerr != nil {
		return zero, false, nil, &UnknownOutcomeError{Describe: c.Describe, Bound: c.Policy.MaxElapsed(), ListErr: lerr}
	}
	var candidates []T
	for _, item := range items {
		if c.Matches(item) && s.newSince(b, s.idOf(item)) {
			candidates = append(candidates, item)
		}
	}
	switch len(candidates) {
	case 0:
		return zero, false, items, nil
	case 1:
		s.recordMade(s.idOf(candidates[0]))
		return candidates[0], true, items, nil
	}
	ids := make([]string, len(candidates))
	for i, item := range candidates {
		ids[i] = s.idOf(item)
	}
	return zero, false, items, &AmbiguousError{Describe: c.Describe, IDs: ids}
}

// UnsettledError: a keyed create ended without an answer that says what it made. Some request of it had an
// unknown outcome (Err, or AfterDoubt when Err itself is a definite refusal that came later).
type UnsettledError struct {
	Describe   string
	Key        string
	Sends      int
	Bound      time.Duration // set when the create's time bound ran out
	AfterDoubt error
	Err        error
	// Appeared are the identical webhooks that appeared while the create was in doubt, which no state of this run
	// records; ListErr says why they are unknown.
	Appeared []string
	ListErr  error
}

func (e *UnsettledError) Error() string {
	ended := fmt.Sprintf("the last answer: %v", e.Err)
	if e.AfterDoubt != nil {
		ended = fmt.Sprintf("an earlier request's outcome was unknown (%v), and the last answer refused the request "+
			"without saying what that one made: %v", e.AfterDoubt, e.Err)
	}
	within := ""
	if e.Bound > 0 {
		within = fmt.Sprintf(" within %s, the time allowed for one create,", e.Bound)
	}
	msg := fmt.Sprintf("creating the %s did not settle: its request was sent %d time(s) with Idempotency-Key %s, and "+
		"no answer%s said what it made (%s). The service may have made the webhook without its answer, and its "+
		"signing secret, reaching the provider", e.Describe, e.Sends, e.Key, within, ended)
	if len(e.Appeared) > 0 {
		return msg + fmt.Sprintf(". Identical webhooks that no state of this run records appeared meanwhile: %s. One "+
			"of them may be the one this create made, the others another configuration's, and nothing tells them "+
			"apart: delete the one no configuration manages (its signing secret never arrived), then apply again",
			strings.Join(e.Appeared, ", "))
	}
	return msg + ". If it did, the next apply that creates this webhook names it in a warning, as an identical " +
		"webhook that no state records: delete it then"
}

func (e *UnsettledError) Unwrap() error { return e.Err }

// GaveUpError: every attempt of a create without a key failed with its outcome unknown, and the list after each
// showed nothing it made.
type GaveUpError struct {
	Describe string
	Attempts int
	Err      error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("gave up creating the %s after %d attempts: each failed with its outcome unknown, and a list "+
		"taken after each held no webhook it made. %s Last error: %v", e.Describe, e.Attempts, lateCommitNote, e.Err)
}

func (e *GaveUpError) Unwrap() error { return e.Err }

// lateCommitNote is what a list that found nothing cannot rule out, for a service without idempotency keys.
const lateCommitNote = "The service takes no idempotency key, so a request it has not finished may still store a " +
	"webhook: if it does, the next apply that creates this webhook names it in a warning."

// BoundError: the create's time bound ran out.
type BoundError struct {
	Describe string
	Bound    time.Duration
	NotSent  bool // it ran out before any request went out
	Err      error
}

func (e *BoundError) Error() string {
	what := "a list taken after its last request held no webhook it made. " + lateCommitNote
	if e.NotSent {
		what = "no create request had been sent, so it made nothing."
	}
	return fmt.Sprintf("gave up creating the %s: it did not succeed within %s, the time allowed for one create "+
		"(attempts, waits and recovery together); %s Last error: %v", e.Describe, e.Bound, what, e.Err)
}

func (e *BoundError) Unwrap() error { return e.Err }

// InterruptedError: the caller cancelled the create. What is known of what it made is in its fields.
type InterruptedError struct {
	Describe string
	Key      string
	// Sent says a request may have gone out; without it the create made nothing.
	Sent bool
	// Keyed create: Deleted is the webhook a re-send with the key named, which was then deleted; Appeared are
	// identical webhooks that appeared meanwhile, which no state records; Unlearned is why no re-send said what
	// the request made.
	Deleted   string
	Appeared  []string
	Unlearned error
	// Listed: a create without a key, whose list afterwards found nothing.
	Listed bool
	Err    error
}

func (e *InterruptedError) Error() string {
	head := fmt.Sprintf("creating the %s was interrupted (%v)", e.Describe, e.Err)
	switch {
	case !e.Sent:
		return head + " before its request was sent, so it made nothing"
	case e.Deleted != "":
		msg := fmt.Sprintf("%s. Re-sent with its Idempotency-Key %s, the request was answered with the webhook it "+
			"made, %s, which the provider then deleted", head, e.Key, e.Deleted)
		if len(e.Appeared) > 0 {
			msg += fmt.Sprintf(". Identical webhooks that no state of this run records appeared meanwhile: %s. If "+
				"the service ignored the key (a proxy that drops the header), one of them is this request's first "+
				"webhook: unless another configuration made them, delete them", strings.Join(e.Appeared, ", "))
		}
		return msg
	case e.Listed:
		return head + "; a list taken then holds no webhook its request made. " + lateCommitNote
	}
	return fmt.Sprintf("%s, and re-sending the request with its Idempotency-Key %s to learn what it made failed as "+
		"well: %v. A webhook may have been made that no state records: if it was, the next apply that creates this "+
		"webhook names it in a warning; delete it then, since its signing secret is lost", head, e.Key, e.Unlearned)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// UnknownOutcomeError: an attempt's outcome is unknown and listing to find out failed too.
type UnknownOutcomeError struct {
	Describe string
	Bound    time.Duration
	ListErr  error
}

func (e *UnknownOutcomeError) Error() string {
	within := ""
	if e.Bound > 0 {
		within = fmt.Sprintf(" within %s, the time allowed for one create,", e.Bound)
	}
	return fmt.Sprintf("the answer to the create request for the %s was lost, and listing the webhooks%s to see "+
		"whether it was made failed as well: %v. A webhook matching it may exist on the server without being "+
		"recorded; check for it and delete or import it", e.Describe, within, e.ListErr)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.ListErr }

// AmbiguousError: after an attempt of a create without a key whose answer was lost, several identical webhooks
// appeared. At most one is the attempt's; the others were made by someone else meanwhile, and nothing tells which
// is which.
type AmbiguousError struct {
	Describe string
	IDs      []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("the answer to the create request for the %s was lost, and meanwhile %d identical webhooks "+
		"appeared (ids %s): one may be the one this request made, the others were made by someone else, and "+
		"nothing tells them apart, so the provider left them all alone. If one of them is this configuration's, "+
		"import it (terraform import ADDRESS ID, or an import block) or delete it, then apply again; the others "+
		"belong to someone else", e.Describe, len(e.IDs), strings.Join(e.IDs, ", "))
}

// OrphanError: an interrupted create's re-send named webhook ID, and deleting it failed.
type OrphanError struct {
	Describe string
	ID       string
	Key      string
	Err      error
}

func (e *OrphanError) Error() string {
	return fmt.Sprintf("creating the %s was interrupted; re-sent with its Idempotency-Key %s, the request was "+
		"answered with the webhook it made, %s, and deleting it failed: %v", e.Describe, e.Key, e.ID, e.Err)
}

func (e *OrphanError) Unwrap() error { return e.Err }

// IsOrphan reports whether err carries a webhook that exists on the server but that the create could not finish.
func IsOrphan(err error) bool {
	var oe *OrphanError
	return errors.As(err, &oe)
}

// sleep waits for d unless ctx ends first; it reports whether the full wait happened.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
