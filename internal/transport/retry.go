package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

type callStateKey struct{}

// callState follows one Do call across its attempts, for logging and for the error that ends it.
type callState struct {
	method, path string
	key          string // the call's Idempotency-Key, "" for none

	mu        sync.Mutex
	attempts  int
	started   time.Time
	lastErr   error
	retryable bool // what the retry policy said of the last attempt, whatever the method
	refusals  int  // 429 answers, each sent again by pacedTransport while the bound allowed
}

// refused counts a 429 answer and returns how many the call has had.
func (s *callState) refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals++
	return s.refusals
}

func (s *callState) refusalCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusals
}

// wouldRetry reports whether the retry policy judged the last attempt's failure worth another attempt (for a
// create, that decides a re-attempt once the failed one has been reconciled).
func (s *callState) wouldRetry() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.retryable
}

func (s *callState) lastErrOr(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return s.lastErr
	}
	return err
}

func stateFrom(ctx context.Context) *callState {
	s, _ := ctx.Value(callStateKey{}).(*callState)
	if s == nil {
		s = &callState{}
	}
	return s
}

func (c *Client) logRequest(_ retryablehttp.Logger, req *http.Request, retry int) {
	s := stateFrom(req.Context())
	s.mu.Lock()
	s.attempts = retry + 1
	s.started = time.Now()
	s.mu.Unlock()
}

// checkRetry decides after every attempt, and logs it. The policy is go-retryablehttp's own: any 5xx but 501, and
// connection failures are worth another attempt; redirect loops, TLS verification failures and a refusal of this
// layer (ErrNotSent) are not, nor is anything once the caller's context is done. A 429 that reaches it is not:
// pacedTransport has already sent the call again for as long as the bound allowed. Only idempotent calls are
// retried here; a create's caller decides for itself, with the verdict recorded for it (it re-sends a keyed create
// with its key, or reconciles one without a key with a list first).
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	s := stateFrom(ctx)
	s.mu.Lock()
	attempt, elapsed := s.attempts, time.Since(s.started)
	if err != nil {
		s.lastErr = err
	} else {
		s.lastErr = nil
	}
	s.mu.Unlock()

	fields := map[string]any{
		"service":     c.cfg.Service,
		"method":      s.method,
		"path":        s.path,
		"attempt":     attempt,
		"duration_ms": elapsed.Milliseconds(),
	}
	if resp != nil {
		fields["status"] = resp.StatusCode
		if id := c.attemptRequestID(resp); id != "" {
			fields["request_id"] = id
		}
	}
	if err != nil {
		fields["error"] = c.Redact(err.Error())
	}
	if s.key != "" {
		fields["idempotency_key"] = s.key
	}
	tflog.SubsystemDebug(ctx, logSubsystem, "API request", fields)

	retry, policyErr := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	retry = retry && !errors.Is(err, ErrNotSent) && (resp == nil || resp.StatusCode != http.StatusTooManyRequests)
	s.mu.Lock()
	s.retryable = retry
	s.mu.Unlock()
	return retry && Idempotent(s.method), policyErr
}

// attemptRequestID reads the request id of one attempt's answer for its log line. The id may be in the body
// (Sellfern's meta.request_id), so the body is read here and put back as it came, for Do or the retry policy to
// read again; a body larger than the cap is put back whole, for Do to refuse.
func (c *Client) attemptRequestID(resp *http.Response) string {
	if c.cfg.RequestID == nil {
		return ""
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		return c.requestID(resp.Header, nil)
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBodyBytes+1))
	resp.Body = &replayedBody{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body}
	return c.requestID(resp.Header, head)
}

// replayedBody is a body whose start was read already, given back before the rest; closing closes the original.
type replayedBody struct {
	io.Reader
	io.Closer
}

func (c *Client) logPace(ctx context.Context, msg string, fields map[string]any) {
	fields["service"] = c.cfg.Service
	tflog.SubsystemDebug(ctx, logSubsystem, msg, fields)
}

// backoff waits as the server asks (Retry-After on a 503, up to MaxRetryAfter) or else exponentially with jitter.
func (c *Client) backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if asked, ok := retryAfter(resp.Header, time.Now()); ok && resp.StatusCode == http.StatusServiceUnavailable {
			return min(asked.wait, c.cfg.MaxRetryAfter)
		}
	}
	return JitteredBackoff(minWait, maxWait, attempt)
}

// JitteredBackoff returns a wait between half and all of minWait·2^attempt, capped at maxWait. go-retryablehttp
// offers exponential backoff without jitter, or linear backoff with it; exponential with jitter keeps many
// clients recovering at once from retrying in step.
func JitteredBackoff(minWait, maxWait time.Duration, attempt int) time.Duration {
	ceiling := maxWait
	if attempt < 30 {
		if d := minWait << attempt; d > 0 && d < maxWait {
			ceiling = d
		}
	}
	half := ceiling / 2
	return half + rand.N(half+1)
}

// WaitBeforeRetry is the wait a caller doing its own retries (a create that must be reconciled first) should
// observe after err on the given attempt (0-based).
func (c *Client) WaitBeforeRetry(err error, attempt int) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return c.backoff(c.cfg.MinBackoff, c.cfg.MaxBackoff, attempt, &http.Response{StatusCode: se.StatusCode, Header: se.Header})
	}
	return JitteredBackoff(c.cfg.MinBackoff, c.cfg.MaxBackoff, attempt)
}

// MaxAttempts is how many times a caller doing its own retries may try (the first attempt plus MaxRetries).
func (c *Client) MaxAttempts() int { return c.cfg.MaxRetries + 1 }

// MaxElapsed is the bound on one call, all attempts and waits included; a caller doing its own retries (a create)
// keeps to it as well.
func (c *Client) MaxElapsed() time.Duration { return c.cfg.MaxElapsed }

// OutcomeUnknown is the package's OutcomeUnknown, for callers that are handed a Client as their policy.
func (c *Client) OutcomeUnknown(err error) bool { return OutcomeUnknown(err) }

// RetryCreate is RetryableCreate, likewise.
func (c *Client) RetryCreate(err error) bool { return RetryableCreate(err) }

// KeyInUse is the package's KeyInUse, likewise.
func (c *Client) KeyInUse(err error) bool { return KeyInUse(err) }
