package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CleanupTimeout bounds the reconciliation that still runs after the caller's context is cancelled (an
// interrupted apply), so that an interrupt does not leave a webhook nobody knows about.
const CleanupTimeout = 30 * time.Second

// Policy is how a create's attempts are bounded, judged and spaced: the transport's rules for the service
// (transport.Client implements it).
type Policy interface {
	// MaxAttempts bounds the create requests.
	MaxAttempts() int
	// MaxElapsed bounds the whole create: every attempt, every wait and the recovery after a lost answer.
	MaxElapsed() time.Duration
	// OutcomeUnknown reports whether a failed attempt may nevertheless have made the webhook.
	OutcomeUnknown(error) bool
	// RetryCreate reports whether a failed attempt, once it is known to have left nothing behind, is worth another.
	RetryCreate(error) bool
	// WaitBeforeRetry is the pause after a failed attempt (0-based) before the next.
	WaitBeforeRetry(err error, attempt int) time.Duration
}

// Create describes one logical create for CreateOnce.
type Create[T any] struct {
	// Key identifies creates that could be mistaken for each other (same URL and events); they run one at a time.
	Key string
	// Describe names the webhook in errors, e.g. `Sellfern webhook for https://example.com/hook`.
	Describe string
	// Do sends one create request.
	Do func(context.Context) (T, error)
	// Matches reports whether a listed webhook looks like what Do would make.
	Matches func(T) bool
	// MadeSince, when set, reports whether a listed webhook was made at or after t, a time on the server's clock
	// (for a service that says when each webhook was made). A webhook made before an attempt began is not its.
	MadeSince func(w T, t time.Time) bool
	// Delete removes a webhook made by an attempt whose answer was lost.
	Delete func(context.Context, T) error
	// Adopt keeps such a webhook instead of deleting it and trying again. Only for services whose create answer
	// carries nothing that a list cannot give back (SelSup); Sellfern's one-time secret rules it out.
	Adopt bool
	// Policy bounds, judges and spaces the attempts.
	Policy Policy
}

// Made is what CreateOnce made, and the webhooks identical to it (Matches) that its baseline already held and
// that this process neither made nor deleted: webhooks nobody manages from here (one left by an interrupted
// apply, one made by hand), or the webhook a create_before_destroy replacement is about to delete. They were not
// touched; the caller can tell the user about them.
type Made[T any] struct {
	Item      T
	Identical []T
}

// CreateOnce makes exactly one webhook, or none, however the attempts fail. A create is never retried blindly:
// when an attempt's outcome is unknown, a list taken afterwards is compared with its baseline, a list taken at
// most BaselineAge before the attempt. A matching webhook that appeared in between (and, where the service says
// when webhooks were made, was made after the baseline) is the attempt's own: it is deleted, or adopted, before
// anything else happens. Two or more such webhooks cannot be told apart from someone else's identical one made
// meanwhile, so none is touched and the create fails naming them.
func (s *Store[T]) CreateOnce(ctx context.Context, c Create[T]) (Made[T], error) {
	var none Made[T]
	bound := c.Policy.MaxElapsed()
	bounded, cancel := withBound(ctx, bound)
	defer cancel()
	// The attempts leave a share of the bound for the recovery after the last of them.
	attemptsCtx, cancelAttempts := withBound(bounded, bound-recoveryShare(bound))
	defer cancelAttempts()

	unlock, err := s.lock(attemptsCtx, c.Key)
	if err != nil {
		return none, s.stopped(ctx, c, err)
	}
	defer unlock()

	var identical []T
	attempts := max(c.Policy.MaxAttempts(), 1)
	for attempt := 0; ; attempt++ {
		b, err := s.baselineFor(attemptsCtx)
		if err != nil {
			if attemptsCtx.Err() != nil {
				return none, s.stopped(ctx, c, err)
			}
			return none, fmt.Errorf("listing existing webhooks before creating the %s (needed to recover safely if "+
				"the create's answer is lost): %w", c.Describe, err)
		}
		if attempt == 0 {
			identical = s.identical(c, b)
		}
		made, err := c.Do(attemptsCtx)
		s.Invalidate()
		if err == nil {
			s.recordMade(s.idOf(made))
			return Made[T]{Item: made, Identical: identical}, nil
		}
		if !c.Policy.OutcomeUnknown(err) {
			return none, err
		}

		// The caller's interrupt leaves a short, detached time to clean up; otherwise recovery has what is left of
		// the bound.
		interrupted := ctx.Err() != nil
		rctx := bounded
		if interrupted {
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
			defer cancel()
		}
		kept, found, rerr := s.reconcile(rctx, c, b, c.Adopt && !interrupted)
		switch {
		case rerr != nil:
			return Made[T]{Item: kept}, rerr
		case found:
			return Made[T]{Item: kept, Identical: identical}, nil
		case interrupted:
			return none, &InterruptedError{Describe: c.Describe, Err: err}
		case attemptsCtx.Err() != nil:
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

// stopped explains why a create ended before any attempt was judged: the caller's interrupt, or the bound.
func (s *Store[T]) stopped(ctx context.Context, c Create[T], err error) error {
	if ctx.Err() != nil {
		return &InterruptedError{Describe: c.Describe, Err: ctx.Err()}
	}
	return &BoundError{Describe: c.Describe, Bound: c.Policy.MaxElapsed(), Err: err}
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

// reconcile finds what an attempt judged by j made. Exactly one candidate is the attempt's: with adopt it is kept
// (found = true), otherwise deleted. A webhook it cannot delete is returned with an *OrphanError so that the
// caller can record it rather than forget it. Several candidates give an *AmbiguousError and are left alone.
func (s *Store[T]) reconcile(ctx context.Context, c Create[T], b baseline[T], adopt bool) (kept T, found bool, err error) {
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
		return zero, false, &UnknownOutcomeError{Describe: c.Describe, Bound: c.Policy.MaxElapsed(), ListErr: lerr}
	}
	var candidates []T
	for _, item := range items {
		if c.Matches(item) && !s.madeHere(s.idOf(item)) && !s.listedBy(s.idOf(item), b.lists) &&
			(c.MadeSince == nil || b.serverTime.IsZero() || c.MadeSince(item, b.serverTime)) {
			candidates = append(candidates, item)
		}
	}
	switch {
	case len(candidates) == 0:
		return zero, false, nil
	case len(candidates) > 1:
		ids := make([]string, len(candidates))
		for i, item := range candidates {
			ids[i] = s.idOf(item)
		}
		return zero, false, &AmbiguousError{Describe: c.Describe, IDs: ids, Adopt: c.Adopt}
	case adopt:
		s.recordMade(s.idOf(candidates[0]))
		return candidates[0], true, nil
	}
	orphan := candidates[0]
	defer s.Invalidate()
	if derr := c.Delete(ctx, orphan); derr != nil {
		s.recordMade(s.idOf(orphan))
		return orphan, false, &OrphanError{Describe: c.Describe, ID: s.idOf(orphan), Err: derr}
	}
	return zero, false, nil
}

// GaveUpError: every attempt failed; whatever they made was deleted.
type GaveUpError struct {
	Describe string
	Attempts int
	Err      error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("gave up creating the %s after %d attempts; any webhook those attempts made was found and "+
		"deleted, so nothing is left on the server. Last error: %v", e.Describe, e.Attempts, e.Err)
}

func (e *GaveUpError) Unwrap() error { return e.Err }

// BoundError: the create's time bound ran out; whatever the attempts made was deleted.
type BoundError struct {
	Describe string
	Bound    time.Duration
	Err      error
}

func (e *BoundError) Error() string {
	return fmt.Sprintf("gave up creating the %s: it did not succeed within %s, the time allowed for one create "+
		"(attempts, waits and recovery together); any webhook the attempts made was found and deleted, so nothing "+
		"is left on the server. Last error: %v", e.Describe, e.Bound, e.Err)
}

func (e *BoundError) Unwrap() error { return e.Err }

// InterruptedError: the caller cancelled; whatever the attempt made was deleted.
type InterruptedError struct {
	Describe string
	Err      error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("creating the %s was interrupted; any webhook the interrupted attempt made was found and "+
		"deleted, so nothing is left on the server (%v)", e.Describe, e.Err)
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

// AmbiguousError: after an attempt whose answer was lost, several matching webhooks appeared. At most one is the
// attempt's; the others were made by someone else meanwhile, and nothing tells which is which.
type AmbiguousError struct {
	Describe string
	IDs      []string
	Adopt    bool // the service's webhooks can be imported whole (no one-time secret)
}

func (e *AmbiguousError) Error() string {
	next := "If one of them is this configuration's, delete it (its one-time signing secret was lost with the " +
		"answer) and apply again; the others belong to someone else"
	if e.Adopt {
		next = "If one of them is this configuration's, import it (terraform import ADDRESS ID, or an import " +
			"block) or delete it, then apply again; the others belong to someone else"
	}
	return fmt.Sprintf("the answer to the create request for the %s was lost, and meanwhile %d identical webhooks "+
		"appeared (ids %s): one may be the one this request made, the others were made by someone else, and "+
		"nothing tells them apart, so the provider left them all alone. %s", e.Describe, len(e.IDs),
		strings.Join(e.IDs, ", "), next)
}

// OrphanError: an attempt made webhook ID although its answer was lost, and deleting it failed.
type OrphanError struct {
	Describe string
	ID       string
	Err      error
}

func (e *OrphanError) Error() string {
	return fmt.Sprintf("the answer to the create request for the %s was lost although the webhook was made (id %s), "+
		"and deleting it failed: %v", e.Describe, e.ID, e.Err)
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
