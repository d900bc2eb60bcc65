package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/time/rate"
)

// Terraform runs up to ten operations at once, each in its own goroutine of one provider process, so the calls to
// a service come in bursts. A service that limits its callers answers the surplus 429, having done nothing; ten
// workers that each honour Retry-After on their own wake together and are refused again. So every call to one
// service waits on one pace per process, which learns from the service: a 429 pauses every call for as long as
// the service asks and lowers the pace, and a calm spell raises it again. Where the service never pushes back the
// pace has no limit and costs nothing.
const (
	// estimateWindow is how far back the calls a service accepted before its first refusal are counted: their
	// number in that window is the first guess at the rate it allows.
	estimateWindow = time.Second
	// estimateSlack counts the calls of the same burst that were sent just after the first refused one.
	estimateSlack = 100 * time.Millisecond
	// lowerBy is what a refusal of a call sent at the learned pace multiplies it by.
	lowerBy = 0.75
	// Until the first refusal after the first guess, a calm probeAfter raises the pace by probeBy: a burst smaller
	// than the rate behind it makes the first guess low. After that, a calm raiseAfter raises it by raiseBy, so
	// that a limit that was lifted is found again without probing so often that the refusals cost more than the
	// gain.
	probeBy    = 1.25
	probeAfter = 3 * time.Second
	raiseBy    = 1.1
	raiseAfter = 10 * time.Second
	// defaultPause is the pause after a 429 that says nothing of when to come back, and minPause the shortest one
	// even when it says "now": a service that keeps refusing is not called again at once, over and over.
	defaultPause = time.Second
	minPause     = 250 * time.Millisecond
	// minRate is the slowest pace learned from refusals: ten calls waiting their turn (Terraform's parallelism)
	// then wait ten seconds at most; a service that wants less says so with Retry-After.
	minRate = rate.Limit(1)
)

// pace spaces the calls to one service. It is safe for concurrent use.
type pace struct {
	service string
	now     func() time.Time
	limiter *rate.Limiter // the pace in force: min(ceiling, learned)

	mu       sync.Mutex
	ceiling  rate.Limit  // set by the configuration, or rate.Inf
	learned  rate.Limit  // what the service's refusals taught, rate.Inf until it refuses
	resumeAt time.Time   // no call is sent before this: the service asked for a pause
	changed  time.Time   // when learned last changed; refusals of calls sent before it were counted already
	probing  bool        // learned is being raised from the first guess, which the service has not refused yet
	guess    rate.Limit  // the first guess: what the service accepted in the second before its first refusal
	refused  *time.Time  // the send time of a refusal still to learn from, once the pause after it is over
	recent   []time.Time // send times of the calls accepted within the last estimateWindow (and its slack)
}

// newPace returns the pace of one service; perSecond > 0 is a ceiling the configuration sets.
func newPace(service string, perSecond float64) *pace {
	ceiling := rate.Inf
	if perSecond > 0 {
		ceiling = rate.Limit(perSecond)
	}
	return &pace{service: service, now: time.Now, limiter: rate.NewLimiter(ceiling, 1), ceiling: ceiling, learned: rate.Inf}
}

// ErrPaced marks a call that was not sent because waiting for its turn at the service's pace would run past the
// time allowed for the call.
var ErrPaced = errors.New("not sent: the service's pace leaves no room for it within the call's time bound")

// paceError says why a call was not sent. It is ErrNotSent as well: nothing reached the service.
type paceError struct{ text string }

func (e *paceError) Error() string { return e.text }
func (e *paceError) Is(target error) bool {
	return target == ErrNotSent || target == ErrPaced
}

// wait blocks until the call may be sent: after any pause the service asked for, and at its turn at the pace. It
// fails at once, sending nothing, when that moment lies past ctx's deadline.
func (p *pace) wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		now := p.now()
		p.learnIfPaused(now)
		until := p.resumeAt
		p.mu.Unlock()
		if d := until.Sub(now); d > 0 {
			if deadline, ok := ctx.Deadline(); ok && deadline.Before(until) {
				return &paceError{fmt.Sprintf("%s asked for a pause of %s before further calls (its 429 answer), "+
					"longer than is left of the time allowed for this call, so it was not sent", p.service,
					d.Round(time.Second))}
			}
			if !sleep(ctx, d) {
				return ctx.Err()
			}
			continue
		}
		if err := p.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &paceError{fmt.Sprintf("waiting its turn at %s's pace (%s) would take longer than is left of "+
				"the time allowed for this call, so it was not sent", p.service, p.describe())}
		}
		// A pause asked for while this call waited its turn voids the turn: every call that waited would
		// otherwise be sent the moment the pause ends, all at once.
		p.mu.Lock()
		paused := p.now().Before(p.resumeAt)
		p.mu.Unlock()
		if !paused {
			return nil
		}
	}
}

// describe says what the pace is and where it comes from, for messages.
func (p *pace) describe() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch limit := min(p.ceiling, p.learned); {
	case limit == rate.Inf:
		return "no limit"
	case p.learned < p.ceiling:
		return fmt.Sprintf("%.3g requests per second, learned from its 429 answers", float64(limit))
	default:
		return fmt.Sprintf("%.3g requests per second, the configured ceiling", float64(limit))
	}
}

// refuse takes in a 429 to a call sent at sent and returns the pause before the next call.
func (p *pace) refuse(sent time.Time, h http.Header) time.Duration {
	pause, ok := retryAfter(h)
	if !ok {
		if pause, ok = rateLimitReset(h, p.now()); !ok {
			pause = defaultPause
		}
	}
	pause = max(pause, minPause)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if until := now.Add(pause); until.After(p.resumeAt) {
		p.resumeAt = until
	}
	// A refusal of a call sent at the pace in force says the pace is too fast. What the service accepts is known
	// once the answers of the calls sent with it are all in, at the end of the pause (learnIfPaused); refusals of
	// calls sent before the pace last changed, or in the same burst, add nothing.
	if p.refused == nil && sent.After(p.changed) {
		p.refused = &sent
	}
	return pause
}

// learnIfPaused sets the pace once the pause after a refusal is over. The first time, to the number of calls the
// service accepted in the window before it, per second: the rate it allows, when its burst is about that rate.
// A refusal of a pace raised from that guess takes it back to the guess; any other, a quarter lower (a window
// then holds calls that the service's reserve allowed for a while, so it says more of the reserve than of the
// rate). p.mu is held.
func (p *pace) learnIfPaused(now time.Time) {
	if p.refused == nil || now.Before(p.resumeAt) {
		return
	}
	from, to := p.refused.Add(-estimateWindow), p.refused.Add(estimateSlack)
	p.refused = nil
	switch {
	case p.probing && p.learned > p.guess:
		// Raised past what the service allows: back to the first guess, which it sustained.
		p.probing = false
		p.setLearned(p.guess, now)
		return
	case p.learned != rate.Inf:
		p.probing = false
		p.setLearned(max(p.learned*lowerBy, minRate), now)
		return
	}
	n := 0
	for _, t := range p.recent {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	if n == 0 {
		// Refused before it accepted anything: the pause it asked for is all there is to go by, and the next
		// refusal learns from what it accepts meanwhile.
		return
	}
	p.probing, p.recent = true, nil
	p.guess = max(rate.Limit(float64(n)/estimateWindow.Seconds()), minRate)
	p.setLearned(p.guess, now)
}

// setLearned changes the learned pace. p.mu is held.
func (p *pace) setLearned(r rate.Limit, now time.Time) {
	p.learned, p.changed = r, now
	p.limiter.SetLimitAt(now, min(p.ceiling, r))
}

// accept takes in any answer but a 429 to a call sent at sent: it counts towards what the service accepts, a
// calm spell raises a learned pace, and rate-limit headers that say the quota is spent pause the calls until it
// resets.
func (p *pace) accept(sent time.Time, h http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.learned == rate.Inf {
		cut := 0
		for cut < len(p.recent) && now.Sub(p.recent[cut]) > estimateWindow+estimateSlack {
			cut++
		}
		p.recent = append(p.recent[cut:], sent)
	} else if p.refused == nil {
		switch calm := now.Sub(p.changed); {
		case p.probing && calm >= probeAfter:
			p.setLearned(p.learned*probeBy, now)
		case !p.probing && calm >= raiseAfter:
			p.setLearned(p.learned*raiseBy, now)
		}
	}
	if remaining, ok := headerInt(h, "RateLimit-Remaining", "X-RateLimit-Remaining"); ok && remaining <= 0 {
		if reset, ok := rateLimitReset(h, now); ok {
			if until := now.Add(reset); until.After(p.resumeAt) {
				p.resumeAt = until
			}
		}
	}
}

// retryAfter reads a Retry-After header as go-retryablehttp does (seconds, or an HTTP date): its DefaultBackoff
// returns the header's wait for a 429, and with no minimum nothing at all when there is none or it cannot be
// read. "0" asks for no wait at all.
func retryAfter(h http.Header) (time.Duration, bool) {
	if strings.TrimSpace(h.Get("Retry-After")) == "0" {
		return 0, true
	}
	wait := retryablehttp.DefaultBackoff(0, 0, 0, &http.Response{StatusCode: http.StatusTooManyRequests, Header: h})
	return wait, wait > 0
}

// rateLimitReset reads when the quota resets from RateLimit-Reset or X-RateLimit-Reset: seconds from now, or (as
// some services send it) a Unix time.
func rateLimitReset(h http.Header, now time.Time) (time.Duration, bool) {
	v, ok := headerInt(h, "RateLimit-Reset", "X-RateLimit-Reset")
	switch {
	case !ok || v < 0:
		return 0, false
	case v > 1_000_000_000:
		return max(time.Unix(v, 0).Sub(now), 0), true
	}
	return time.Duration(v) * time.Second, true
}

func headerInt(h http.Header, names ...string) (int64, bool) {
	for _, name := range names {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
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

// pacedTransport sends each attempt at the service's pace, bounds it by the request timeout (counted from the
// moment it is sent, not from when it began to wait), and sends again an attempt the service refused with 429,
// which means it did nothing, for as long as the call's time bound allows. The retry policy above it never sees a
// 429 then, so refusals cost none of max_retries and a create answered 429 needs no reconciling list; when the
// bound leaves no room for the pause, the 429 itself is the answer.
type pacedTransport struct {
	next    http.RoundTripper
	pace    *pace
	timeout time.Duration
	log     func(ctx context.Context, msg string, fields map[string]any)
}

func (t *pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = readAllAndClose(req.Body)
		if err != nil {
			return nil, err
		}
	}
	ctx := req.Context()
	state := stateFrom(ctx)
	var lastRefusal *http.Response // the last 429, its body read, for when the bound leaves no room to send again
	for {
		if err := t.pace.wait(ctx); err != nil {
			return answerOr(ctx, lastRefusal, err)
		}
		attemptCtx, cancel := context.WithTimeout(ctx, t.timeout)
		attempt := req.Clone(attemptCtx)
		if body != nil {
			attempt.Body = newBodyReader(body)
		}
		sent := t.pace.now()
		resp, err := t.next.RoundTrip(attempt)
		if err != nil {
			cancel()
			return answerOr(ctx, lastRefusal, err)
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.pace.accept(sent, resp.Header)
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}
		pause := t.pace.refuse(sent, resp.Header)
		refusals := state.refused()
		deadline, bounded := ctx.Deadline()
		fits := !bounded || t.pace.now().Add(pause).Before(deadline)
		t.log(ctx, "API rate limit: 429 answered, nothing done", map[string]any{
			"pause_ms": pause.Milliseconds(), "refusals": refusals, "sent_again": fits, "pace": t.pace.describe(),
		})
		if !fits {
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}
		refusalBody, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		drain(resp.Body)
		cancel()
		resp.Body = newBodyReader(refusalBody)
		lastRefusal = resp
	}
}

// answerOr is what a call that stopped with err answers: the service's last 429 when the call's bound ran out
// while the service still refused it (that is the answer, and says more than "too late"), else err.
func answerOr(ctx context.Context, lastRefusal *http.Response, err error) (*http.Response, error) {
	if lastRefusal != nil && (errors.Is(err, ErrPaced) || ctx.Err() != nil) {
		return lastRefusal, nil //nolint:nilerr // the service's refusal is the call's answer, err only why it ends here
	}
	return nil, err
}

// cancelOnClose ends an attempt's context once its body has been read and closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func readAllAndClose(r io.ReadCloser) ([]byte, error) {
	defer r.Close()
	return io.ReadAll(r)
}

func newBodyReader(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

// drain reads what is left of a small body, so that the connection can be used again, and closes it.
func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
