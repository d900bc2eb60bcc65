package inventory

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// CleanupTimeout bounds the reconciliation that still runs after the caller's context is cancelled (an
// interrupted apply), so that an interrupt does not leave a webhook nobody knows about.
const CleanupTimeout = 30 * time.Second

// Create describes one logical create for CreateOnce.
type Create[T any] struct {
	// Key identifies creates that could be mistaken for each other (same URL and events); they run one at a time.
	Key string
	// Describe names the webhook in errors, e.g. `webhook for https://example.com/hook`.
	Describe string
	// Do sends one create request.
	Do func(context.Context) (T, error)
	// Matches reports whether a listed webhook looks like what Do would make.
	Matches func(T) bool
	// Delete removes a webhook made by an attempt whose answer was lost.
	Delete func(context.Context, T) error
	// Adopt keeps one such webhook instead of deleting it and trying again. Only for services whose create
	// answer carries nothing that a list cannot give back (SelSup); Sellfern's secret rules it out.
	Adopt bool
	// Attempts bounds the create requests.
	Attempts int
	// Ambiguous reports whether a failed attempt may nevertheless have made the webhook.
	Ambiguous func(error) bool
	// Wait is the pause after a failed attempt (0-based) before the next.
	Wait func(err error, attempt int) time.Duration
}

var (
	metricReattempts atomic.Int64
	metricOrphans    atomic.Int64
	metricAdopted    atomic.Int64
)

// Metrics reports, for this process, how many create attempts followed a failed one, how many webhooks made by
// attempts whose answer was lost were deleted, and how many were adopted.
func Metrics() (reattempts, orphansDeleted, adopted int64) {
	return metricReattempts.Load(), metricOrphans.Load(), metricAdopted.Load()
}

// CreateOnce makes exactly one webhook, or none, however the attempts fail. A create is never retried blindly:
// when an attempt's outcome is unknown, the webhooks that match it and were not listed before it began are what
// it made; they are deleted (or one is adopted) before anything else happens.
func (s *Store[T]) CreateOnce(ctx context.Context, c Create[T]) (T, error) {
	var zero T
	unlock, err := s.lock(ctx, c.Key)
	if err != nil {
		return zero, err
	}
	defer unlock()

	// Reconciliation needs a list taken before the first attempt; one per process serves every create.
	if s.mark() == 0 {
		if _, err := s.List(ctx); err != nil {
			return zero, fmt.Errorf("listing existing webhooks before creating the %s (needed to recover safely if the create's answer is lost): %w", c.Describe, err)
		}
	}

	attempts := max(c.Attempts, 1)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			metricReattempts.Add(1)
		}
		mark := s.mark()
		made, err := c.Do(ctx)
		s.Invalidate()
		if err == nil {
			s.noteMade(s.idOf(made))
			return made, nil
		}
		if !c.Ambiguous(err) {
			return zero, err
		}

		interrupted := ctx.Err() != nil
		rctx := ctx
		if interrupted {
			var cancel context.CancelFunc
			rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
			defer cancel()
		}
		kept, found, rerr := s.reconcile(rctx, c, mark, c.Adopt && !interrupted)
		if rerr != nil {
			return kept, rerr
		}
		if found {
			return kept, nil
		}
		if interrupted {
			return zero, &InterruptedError{Describe: c.Describe, Err: err}
		}
		if attempt+1 >= attempts {
			return zero, &GaveUpError{Describe: c.Describe, Attempts: attempts, Err: err}
		}
		if !sleep(ctx, c.Wait(err, attempt)) {
			return zero, &InterruptedError{Describe: c.Describe, Err: ctx.Err()}
		}
	}
}

// reconcile finds what an attempt begun at mark made. With adopt it keeps one (found = true) and deletes any
// others; otherwise it deletes them all. A webhook it cannot delete is returned with an *OrphanError so that the
// caller can record it rather than forget it.
func (s *Store[T]) reconcile(ctx context.Context, c Create[T], mark uint64, adopt bool) (kept T, found bool, err error) {
	var zero T
	items, lerr := s.Fresh(ctx)
	// Without this list nobody can tell whether the attempt made a webhook, so it gets a budget of its own on
	// top of the transport's retries.
	for retry := 0; lerr != nil && c.Ambiguous(lerr) && retry < c.Attempts; retry++ {
		if !sleep(ctx, c.Wait(lerr, retry)) {
			break
		}
		items, lerr = s.Fresh(ctx)
	}
	if lerr != nil {
		return zero, false, &UnknownOutcomeError{Describe: c.Describe, ListErr: lerr}
	}
	var orphans []T
	for _, item := range items {
		if c.Matches(item) && !s.knownAt(s.idOf(item), mark) {
			orphans = append(orphans, item)
		}
	}
	if adopt && len(orphans) > 0 {
		kept, orphans = orphans[0], orphans[1:]
		found = true
		s.noteMade(s.idOf(kept))
		metricAdopted.Add(1)
	}
	for _, orphan := range orphans {
		if derr := c.Delete(ctx, orphan); derr != nil {
			s.Invalidate()
			s.noteMade(s.idOf(orphan))
			return orphan, false, &OrphanError{Describe: c.Describe, ID: s.idOf(orphan), Err: derr}
		}
		metricOrphans.Add(1)
	}
	if len(orphans) > 0 {
		s.Invalidate()
	}
	return kept, found, nil
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
	ListErr  error
}

func (e *UnknownOutcomeError) Error() string {
	return fmt.Sprintf("the answer to the create request for the %s was lost, and listing the webhooks to see "+
		"whether it was made failed as well: %v. A webhook matching it may exist on the server without being "+
		"recorded; check for it and delete or import it", e.Describe, e.ListErr)
}

func (e *UnknownOutcomeError) Unwrap() error { return e.ListErr }

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
