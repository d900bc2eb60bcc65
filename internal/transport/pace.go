package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The pace: how the calls of many workers, and of many runs, share one account's rate limit.
//
// Terraform runs ten operations at once in a provider process, starts a process for each provider block, and CI
// jobs, Atlantis, agents and workspaces run many Terraform runs at once against one account. A service that limits
// an account answers the surplus 429, having done nothing. Clients that see only their own calls can share the
// limit only by each adapting to the service's answers: the problem TCP congestion control solves for a link, and
// AWS's SDKs for throttled APIs with their "adaptive" retry mode (a client-side token bucket whose rate follows
// CUBIC). The design follows that literature, and was tuned by simulating several runs against a token bucket on
// a fake clock (pace_sim_test.go):
//
//   - One pace per account. Every call to an account (service, base URL and credential) waits its turn at one
//     schedule, GCRA's (a token bucket with no burst): one interval of the pace after the turn before it. The
//     calls wait in line by when they first asked, and only the first looks at the schedule, again whenever it
//     wakes, so that no turn is booked ahead at a rate that has since changed. The processes of the runs on one
//     machine share the schedule through a file (pace_share.go) and act as one client; each run keeps its own
//     ceiling, requests_per_second (the lowest among its provider blocks).
//   - Multiplicative decrease, with an increase that does not depend on the share (Chiu and Jain, 1989): clients
//     that all lower their rate by the same factor on a refusal and raise it alike converge on equal shares of the
//     limit, whatever they started from, because the decrease takes more from a larger share. Refusals also land
//     on the clients in proportion to how much they send, which pushes the same way. Each refusal of a call sent
//     at the current rate lowers it to lowerBy of itself (CUBIC's beta); one sent earlier was sent at an older rate
//     and changes nothing.
//   - The increase is CUBIC's (RFC 8312), counted in accepted calls as well as in time: back towards the rate last
//     refused (quickly, then slowly: concave), then beyond it (slowly, then quickly: convex). Near the shared limit,
//     where the equilibrium lies, the clients creep, so refusals stay rare; counting calls keeps their share the
//     same at 1 or 100 requests per second, and counting time keeps a slow pace from taking minutes. A calm that
//     lasts well beyond the rate last refused means much more is free (a run on the account finished): the rate
//     then doubles, as in slow start, until a refusal. Fast convergence (RFC 8312 4.6): a client refused below the
//     rate it was refused at before remembers a rate between the two, leaving room to one that arrived.
//   - Learning from refusals even when nothing was accepted yet: the first refusal sets the pace from the calls the
//     service accepted in the second before it, the calls still in flight included (its rate, and its burst, which
//     lowerBy discounts), or, when it accepted none (another client holds the quota), from the pause it asked
//     for: one call per pause, lowered. Refusals in a row lower the pace further, so that few calls are sent while
//     the account is taken, but keep the rate to climb back to; once a call is accepted after refusals that lasted
//     blockedFor, the account is free again, and the rate doubles every doubleEvery until a refusal says how much.
//   - Slow start (TCP's): until the service pushes back or a rate is known, the calls in flight start at one and
//     grow by one per round trip (and every startStep, for a service slow to answer), so that a run's first wave of
//     ten calls does not hit an unknown limit at once.
//   - Pauses: the refused call waits as long as the service asks (Retry-After, else the rate headers' reset, else
//     defaultPause) before it is sent again, keeping its place in line; a wait of more than pauseAllAfter pauses
//     every call to the account. After a pause, the calls go one interval apart, the first at a random point of
//     the first interval (jitter), so that neither ten workers nor several processes told the same moment call
//     together.
//   - Rate headers (the IETF draft's RateLimit field, RateLimit-*, X-RateLimit-*: a client should not send more
//     than the quota left before its reset): no more calls than the quota left go before the reset, and a quota
//     spent (remaining 0) pauses every call until the reset, as a 429 would. Retry-After wins over them.
const (
	// lowerBy is what a refusal of a call sent at the current rate multiplies it by (CUBIC's beta).
	lowerBy = 0.7
	// The climb after a decrease: back to the rate refused in backCalls accepted calls or backTime, whichever
	// comes first; then beyond it, by (1-lowerBy) of it for each climbCalls calls or probeTime, cubed. Chosen by
	// simulating several runs against a token bucket (pace_sim_test.go): shorter ones refuse more often, longer
	// ones leave freed capacity unused for longer.
	backCalls  = 24.0
	backTime   = 10 * time.Second
	climbCalls = 36.0
	probeTime  = 12 * time.Second
	// Refusals in a row for blockedFor and blockedIntervals of the rate that worked, then a call accepted, mean the
	// account was taken and is free again, and the rate doubles every doubleEvery until a refusal says how much.
	blockedFor       = 3 * time.Second
	blockedIntervals = 6
	// doubleEvery is how often the rate doubles after a block: from one call every few seconds to the limit of
	// most services in a few seconds.
	doubleEvery = 500 * time.Millisecond
	// guessedTop bounds the doubling after a block that began before anything was accepted, in units of the
	// guess (one call per pause): a refusal ends it long before.
	guessedTop = 100
)

const (
	// estimateWindow is how far back the calls accepted before the first refusal are counted for its estimate,
	// and estimateSlack how long after it (the rest of the burst it was part of).
	estimateWindow = time.Second
	estimateSlack  = 100 * time.Millisecond
	// defaultPause is the pause after a 429 that says nothing of when to come back, and minPause the shortest one
	// even when it says "now": a service that keeps refusing is not called again at once, over and over.
	defaultPause = time.Second
	minPause     = 250 * time.Millisecond
	// pauseAllAfter: a 429 that asks for a longer wait pauses every call to the account; a shorter one, the
	// refused call only, as the lowered rate keeps the others apart. Retry-After counts whole seconds, so a token
	// due in 0.2 s reads 1: pausing every call for it would idle the account's capacity at every refusal.
	pauseAllAfter = 2 * time.Second
	// minRate is the slowest pace learned: ten calls waiting their turn then wait 100 s, within a call's default
	// bound of three minutes. A service that wants even less says so with Retry-After.
	minRate = 0.1
	// idleIntervals: a turn taken more than this many intervals of the rate after the one before ends an idle
	// spell, which does not count as calm (take).
	idleIntervals = 2
	// recheck is the longest the call first in line sleeps before it looks at the pace again: a pace that grows
	// with time (after a block, or in its probe), or another process's change, may bring its turn forward.
	recheck = 250 * time.Millisecond
	// The slow start's window: the calls in flight before anything is known, the size at which it ends, and how
	// often it widens by one even without answers.
	startWindow = 1
	endWindow   = 16
	startStep   = 250 * time.Millisecond
)

// How the learned rate moves.
const (
	modeClimb   = "climb"   // CUBIC's climb towards Max and beyond
	modeBlocked = "blocked" // refused again with nothing accepted: the account is taken for now
	modeRestart = "restart" // accepted again after a block: doubling until a refusal
)

// runShare is what one run keeps apart in a shared state: its ceiling, and the pace under it.
type runShare struct {
	Ceiling float64   `json:"ceiling,omitempty"`
	Last    time.Time `json:"last,omitzero"`
	Seen    time.Time `json:"seen"`
}

// runForgotten is how long a run's share outlives its last call.
const runForgotten = 10 * time.Minute

// forRun loads the run's share into Ceiling and RunLast, lowered to ceiling if that is lower, and drops the shares
// of runs gone quiet.
func (s *paceState) forRun(run string, ceiling float64, now time.Time) {
	if s.Runs == nil {
		s.Runs = map[string]*runShare{}
	}
	for id, r := range s.Runs {
		if now.Sub(r.Seen) > runForgotten {
			delete(s.Runs, id)
		}
	}
	r := s.Runs[run]
	if r == nil {
		r = &runShare{}
		s.Runs[run] = r
	}
	if ceiling > 0 && (r.Ceiling == 0 || ceiling < r.Ceiling) {
		r.Ceiling = ceiling
	}
	r.Seen = now
	s.Ceiling, s.RunLast = r.Ceiling, r.Last
}

// saveRun keeps the run's last turn in its share.
func (s *paceState) saveRun(run string) {
	if r := s.Runs[run]; r != nil {
		r.Last = s.RunLast
	}
}

// paceState is what the calls to one account share, in a process and between the processes on a machine
// (pace_share.go): plain data, so that it can be kept in a file.
type paceState struct {
	// Ceiling is the ceiling of the run the change is made for, and RunLast its last turn: each run keeps its
	// own in Runs.
	Ceiling float64              `json:"-"`
	RunLast time.Time            `json:"-"`
	Runs    map[string]*runShare `json:"runs,omitempty"`
	Rate    float64              `json:"rate,omitempty"` // learned from the service; 0: nothing learned, no limit
	// The climb after the last decrease: from Start towards Max, the rate last refused, in Calm accepted calls.
	Max       float64   `json:"max,omitempty"`
	Start     float64   `json:"start,omitempty"`
	Calm      int       `json:"calm,omitempty"`
	Lowered   time.Time `json:"lowered,omitzero"`    // refusals of calls sent before it were sent at an older rate
	MaxKnown  bool      `json:"max_known,omitempty"` // Max is a rate the service refused after accepting calls
	Mode      string    `json:"mode,omitempty"`      // how the rate moves: modeClimb, modeBlocked or modeRestart
	ClimbFrom time.Time `json:"climb_from,omitzero"` // the climb's time origin
	// BlockedSince is when the refusals in a row began.
	BlockedSince time.Time `json:"blocked_since,omitzero"`
	// AcceptedSince says a call was accepted since the last refusal: refusals in a row mean the account is taken.
	AcceptedSince bool `json:"accepted_since,omitempty"`

	Last     time.Time   `json:"last,omitzero"`      // the last turn taken: the next is an interval later
	ResumeAt time.Time   `json:"resume_at,omitzero"` // the end of the pause the service asked for
	Cause    *pauseCause `json:"cause,omitempty"`    // what asked for the pause, for messages

	Accepted  []time.Time `json:"accepted,omitempty"`     // send times of calls accepted lately, until a rate is learned
	Budget    int64       `json:"budget,omitempty"`       // calls the rate headers left before BudgetEnd
	BudgetEnd time.Time   `json:"budget_end,omitzero"`    // the reset those headers announced
	Updated   time.Time   `json:"updated,omitzero"`       // the last change, to drop a state left by an older run
	Headers   bool        `json:"from_headers,omitempty"` // the rate in force was set by rate headers, not by a 429
}

// pauseCause is the answer that asked for a pause, as messages name it.
type pauseCause struct {
	Status int           `json:"status"` // 429, or the status of a success whose rate headers said the quota was spent
	Call   string        `json:"call"`   // "POST /api/v2/webhooks"
	Asked  time.Duration `json:"asked"`
	Header string        `json:"header"` // the header that asked, quoted; "" when a 429 said nothing
	Capped bool          `json:"capped,omitempty"`
}

// learned is the rate learned from the service at now; 0 means none.
func (s *paceState) learned(now time.Time) float64 {
	switch {
	case s.Rate == 0:
		return 0
	case s.Mode == modeClimb:
		return s.climb(now)
	case s.Mode == modeRestart:
		return s.restarted(now)
	}
	return s.Rate
}

// limit is the pace in force at now for the run: the learned rate under its ceiling; 0 means none.
func (s *paceState) limit(now time.Time) float64 {
	r := s.learned(now)
	switch {
	case r == 0:
		return s.Ceiling
	case s.Ceiling == 0:
		return r
	}
	return min(r, s.Ceiling)
}

// interval is the time between turns at the pace in force at now.
func (s *paceState) interval(now time.Time) time.Duration {
	return perSecond(s.limit(now))
}

// perSecond is the interval of a rate; 0 for none.
func perSecond(r float64) time.Duration {
	if r > 0 {
		return time.Duration(float64(time.Second) / r)
	}
	return 0
}

// earliest is the first moment a call asking at now may be sent: after any pause (plus jitter, from 0 to 1, of
// an interval, so that the calls told the same moment do not all come together), once the quota the rate
// headers announced resets if it is spent, and one interval (at the pace in force now) after the last turn.
func (s *paceState) earliest(now time.Time, jitter float64) time.Time {
	at := now
	interval := s.interval(now)
	if s.ResumeAt.After(at) {
		at = s.ResumeAt.Add(time.Duration(jitter * float64(interval)))
	}
	if s.Budget <= 0 && s.BudgetEnd.After(at) {
		at = s.BudgetEnd
	}
	if !s.Last.IsZero() {
		at = later(at, s.Last.Add(perSecond(s.learned(now))))
	}
	if !s.RunLast.IsZero() {
		at = later(at, s.RunLast.Add(perSecond(s.Ceiling)))
	}
	return at
}

// take spends the turn at now. A turn taken long after the last one (more than idleIntervals of the rate
// then) ends a spell in which the account was idle: the rate rises with calm only while calls test it, so the
// climb's clock stops for the idle time (RFC 7661: a sender limited by what it has to send does not grow its
// window). Otherwise an apply that follows another after a minute would start its climb at a rate no call has
// tried, a thousand times the limit, and its first wave would be refused whole.
func (s *paceState) take(now time.Time) {
	if s.Rate > 0 && !s.Last.IsZero() {
		if idle := now.Sub(s.Last) - idleIntervals*perSecond(s.learned(s.Last)); idle > 0 {
			s.ClimbFrom = s.ClimbFrom.Add(idle)
		}
	}
	s.Last, s.RunLast = now, now
	if s.BudgetEnd.After(now) {
		s.Budget--
	}
}

// pauseUntil makes every call wait until t, then go one interval apart.
func (s *paceState) pauseUntil(t time.Time, cause pauseCause) {
	if !t.After(s.ResumeAt) {
		return
	}
	s.ResumeAt, s.Cause = t, &cause
}

// refuse takes in a 429 to a call sent at sent, answered at now, and returns the pause it asked for, and
// whether every call waits for it or only the refused one.
func (s *paceState) refuse(sent, now time.Time, h http.Header, call string, inflight int) (pause time.Duration, all bool) {
	cause := pauseCause{Status: http.StatusTooManyRequests, Call: call}
	pause = defaultPause
	asked, ok := retryAfter(h, now)
	if !ok {
		if q := rateHeaders(h, now); q.hasReset {
			asked, ok = q.reset, true
		}
	}
	if ok {
		pause, cause.Asked, cause.Header, cause.Capped = asked.wait, asked.wait, asked.header, asked.capped
	}
	pause = max(pause, minPause)
	if cause.Asked == 0 {
		cause.Asked = pause
	}
	if all = pause > pauseAllAfter; all {
		s.pauseUntil(now.Add(pause), cause)
	}
	s.Headers = false
	switch {
	case s.Rate == 0:
		s.learn(sent, now, pause, inflight)
	case !sent.After(s.Lowered):
		// Sent at an older, faster rate: that one was lowered already.
	case !s.AcceptedSince:
		// Refused again with nothing accepted in between: the pace is too fast, or the account is taken by
		// others for now. The rate goes down, and the rate to climb back to stays the one that worked.
		keep := s.Max
		s.setRate(max(s.limit(now)*lowerBy, minRate), now)
		s.Max, s.Mode = keep, modeBlocked
	default:
		current := s.limit(sent)
		if s.MaxKnown && current < s.Max {
			s.Max = current * (1 + lowerBy) / 2
		} else {
			s.Max = current
		}
		s.MaxKnown = true
		s.setRate(max(current*lowerBy, minRate), now)
		s.Mode = modeClimb
	}
	if s.AcceptedSince || s.BlockedSince.IsZero() {
		s.BlockedSince = now
	}
	s.AcceptedSince = false
	return pause, all
}

// learn sets the first rate, at the first refusal or the first pause the rate headers ask for: what the service
// accepted in the second before the call (its rate, and its burst, which lowerBy discounts), the calls still in
// flight included, as most were sent before the refused one. When it accepted none, another client holds the
// quota: one call per pause, until the account is free again.
func (s *paceState) learn(sent, now time.Time, pause time.Duration, inflight int) {
	from, to := sent.Add(-estimateWindow), sent.Add(estimateSlack)
	n := inflight
	for _, t := range s.Accepted {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	s.Accepted = nil
	if n == 0 {
		s.Max = max(1/max(pause.Seconds(), 1), minRate)
		s.setRate(s.Max*lowerBy, now)
		s.Mode = modeBlocked
		return
	}
	s.Max = max(float64(n)/estimateWindow.Seconds(), minRate)
	if s.Ceiling > 0 {
		s.Max = min(s.Max, s.Ceiling)
	}
	s.MaxKnown = true
	s.setRate(max(s.Max*lowerBy, minRate), now)
	s.Mode = modeClimb
}

// setRate starts a climb from r; the next turn is one interval of it away, as if one had just been taken.
func (s *paceState) setRate(r float64, now time.Time) {
	s.Rate, s.Start, s.Calm, s.Lowered, s.ClimbFrom = r, r, 0, now, now
	s.Last = later(s.Last, now)
}

// climb is the rate at now, Calm accepted calls after the last decrease: CUBIC's curve, from Start back to Max
// (concave) in backCalls calls or backTime, whichever comes first, then beyond Max (convex), by (1-lowerBy)·Max
// for each climbCalls calls or probeTime cubed. Counting calls keeps the share of refusals the same at any rate;
// counting time too keeps a slow pace from taking minutes to find capacity freed by a neighbour.
func (s *paceState) climb(now time.Time) float64 {
	calm := now.Sub(s.ClimbFrom)
	// The time units: at a slow pace, up to half the time their calls take, so that the share of refusals stays
	// nearly as small as at a fast one, and no more than half as long again, so that a slow client still finds
	// the capacity that other runs free when they end.
	backFor := min(max(backTime, perSecond(s.Max)*time.Duration(backCalls)/2), backTime*3/2)
	probeFor := min(max(probeTime, perSecond(s.Max)*time.Duration(climbCalls)/2), probeTime*3/2)
	var r float64
	if back := max(float64(s.Calm)/backCalls, float64(calm)/float64(backFor)); back < 1 {
		x := 1 - back
		r = s.Max - (s.Max-s.Start)*x*x*x
	} else {
		x := max(float64(s.Calm)-backCalls, 0) / climbCalls
		x = max(x, float64(calm-backFor)/float64(probeFor))
		if x <= 1 {
			r = s.Max + (1-lowerBy)*s.Max*x*x*x
		} else {
			// Calm this long beyond the rate refused last says much more is free (a neighbour stopped): the rate
			// doubles every quarter step, as slow start does, until a refusal.
			r = (2 - lowerBy) * s.Max * math.Pow(2, min(4*(x-1), 20))
		}
	}
	if s.Ceiling > 0 {
		r = min(r, s.Ceiling)
	}
	return max(r, s.Start, minRate)
}

// grow takes in a call accepted at the current rate. After a block (refusals in a row for blockedFor) the
// account is free again, and how much of it is free is unknown: the rate restarts (restarted), as TCP's slow start
// does after a timeout; after a shorter run of refusals it climbs as after any decrease.
func (s *paceState) grow(now time.Time) {
	s.Calm++
	if s.Mode != modeBlocked {
		return
	}
	s.Mode, s.Calm, s.ClimbFrom = modeClimb, 1, now
	// A block is long for the pace that worked: several of its intervals. Shorter runs of refusals are the share
	// of a slow limit going to others, not an account taken and freed.
	if now.Sub(s.BlockedSince) >= max(blockedFor, blockedIntervals*perSecond(s.Max)) {
		s.Mode, s.Calm = modeRestart, 0
	}
}

// restarted is the rate at now after a block: from the rate the block left, it doubles every doubleEvery until a
// refusal says how much is free. It stops doubling at twice the rate last refused, and from there climbs as
// usual.
func (s *paceState) restarted(now time.Time) float64 {
	doublings := float64(max(now.Sub(s.ClimbFrom), 0)) / float64(doubleEvery)
	r := s.Start * math.Pow(2, min(doublings, 20))
	top := 2 * s.Max
	if !s.MaxKnown {
		top = guessedTop * s.Max // the rate to climb back to was a guess: nothing was accepted before the block
	}
	if r >= top {
		s.Max, s.Start, s.Calm, s.Mode, s.ClimbFrom = top, top, int(backCalls), modeClimb, now.Add(-backTime)
		return s.Max
	}
	return r
}

// accept takes in an answer other than a 429 to a call sent at sent: evidence that the pace is not too fast, and
// rate headers, which may say how much of the quota is left.
func (s *paceState) accept(sent, now time.Time, h http.Header, status int, call string) {
	s.AcceptedSince = true
	switch {
	case s.Rate == 0:
		cut := 0
		for cut < len(s.Accepted) && now.Sub(s.Accepted[cut]) > estimateWindow+estimateSlack {
			cut++
		}
		s.Accepted = append(s.Accepted[cut:], sent)
	case sent.After(s.Lowered):
		s.grow(now)
	}
	q := rateHeaders(h, now)
	if !q.hasRemaining || !q.hasReset {
		return
	}
	if q.remaining > 0 {
		s.Budget, s.BudgetEnd = q.remaining, now.Add(q.reset.wait)
		return
	}
	if q.reset.wait <= 0 {
		return
	}
	header := q.reset.header
	if q.text != "" {
		header = q.text
	}
	s.pauseUntil(now.Add(q.reset.wait), pauseCause{Status: status, Call: call, Asked: q.reset.wait,
		Header: header, Capped: q.reset.capped})
	if s.Rate == 0 {
		s.learn(sent, now, q.reset.wait, 0)
		s.Headers = true
	}
}

// describe says what the pace is and where it comes from, for messages.
func (s *paceState) describe(now time.Time) string {
	switch limit := s.limit(now); {
	case limit == 0:
		return "no limit"
	case s.Ceiling > 0 && s.Ceiling <= limit:
		return fmt.Sprintf("%.3g requests per second, the configured ceiling", limit)
	case s.Headers:
		return fmt.Sprintf("%.3g requests per second, learned from its rate-limit headers", limit)
	default:
		return fmt.Sprintf("%.3g requests per second, learned from its 429 answers", limit)
	}
}

// notSent explains a call whose turn at the pace, at, lies past its deadline; bound is the time allowed for a
// call.
func (s *paceState) notSent(service string, now, at, deadline time.Time, bound time.Duration) error {
	if s.ResumeAt.After(deadline) && s.Cause != nil {
		return &paceError{s.Cause.explain(service, s.ResumeAt.Sub(now), bound)}
	}
	if s.BudgetEnd.After(deadline) && s.Budget <= 0 {
		return &paceError{fmt.Sprintf("%s's rate-limit headers left no calls until their reset, %s from now, "+
			"which is past the %s allowed for this call, so it was not sent", service,
			ReadableDuration(s.BudgetEnd.Sub(now)), ReadableDuration(bound))}
	}
	return &paceError{fmt.Sprintf("waiting its turn at %s's pace (%s) would take %s, longer than is left of the %s "+
		"allowed for this call, so it was not sent", service, s.describe(now), ReadableDuration(at.Sub(now)),
		ReadableDuration(bound))}
}

// explain says which answer asked for the pause, how long it asked, and why this call was not sent: left of the
// pause is still to wait, more than is left of bound.
func (c *pauseCause) explain(service string, left, bound time.Duration) string {
	asked := ReadableDuration(c.Asked)
	if c.Capped {
		asked = "more than " + asked
	}
	var msg string
	switch {
	case c.Status == http.StatusTooManyRequests && c.Header == "":
		msg = fmt.Sprintf("%s answered an earlier call (%s) with HTTP 429, and every call waits %s after such an "+
			"answer", service, c.Call, asked)
	case c.Status == http.StatusTooManyRequests:
		msg = fmt.Sprintf("%s answered an earlier call (%s) with HTTP 429 and %s, a pause of %s before further calls",
			service, c.Call, c.Header, asked)
	default:
		msg = fmt.Sprintf("%s accepted an earlier call (%s, HTTP %d), but its rate-limit headers (%s) said the "+
			"quota is spent for %s", service, c.Call, c.Status, c.Header, asked)
	}
	msg = fmt.Sprintf("not sent: %s; %s of it is left, more than is left of the %s allowed for this call", msg,
		ReadableDuration(left), ReadableDuration(bound))
	if c.Asked >= bound {
		msg += ". " + quotaAdvice
	}
	return msg
}

// quotaAdvice is what a wait longer than a call's bound means.
const quotaAdvice = "A wait that long looks like a quota (for the hour or the day) or a long block, not a pace " +
	"to keep to: try again once it is over"

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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

// pace spaces the calls of a process to one account, on the state it shares (paceStore), and keeps what is the
// process's own: its ceiling, and the slow start's window. It is safe for concurrent use.
type pace struct {
	service string
	run     string // the run this process belongs to, when the state is shared between runs
	store   paceStore
	now     func() time.Time

	line    line          // the calls waiting for a turn
	tickets atomic.Uint64 // the last ticket given

	mu       sync.Mutex
	ceiling  float64       // the lowest ceiling of the clients in this process that share the pace; 0: none
	window   int           // slow start: calls that may be in flight; 0: no window
	inflight int           // calls sent and not yet answered
	acks     int           // answers since the window last grew
	opened   time.Time     // when the slow start's first call went
	answered chan struct{} // closed at every answer, to wake the calls waiting for room in the window
}

// newPace returns a pace of its own for one service, in memory; perSecond > 0 is a ceiling.
func newPace(service string, perSecond float64) *pace {
	return newPaceOn(service, perSecond, &memStore{})
}

func newPaceOn(service string, perSecond float64, store paceStore) *pace {
	p := &pace{service: service, store: store, now: time.Now, window: startWindow, answered: make(chan struct{})}
	p.lowerCeiling(perSecond)
	return p
}

// lowerCeiling makes perSecond (when above 0) the ceiling if it is lower than the one in force.
func (p *pace) lowerCeiling(perSecond float64) {
	if perSecond <= 0 {
		return
	}
	p.mu.Lock()
	if p.ceiling == 0 || perSecond < p.ceiling {
		p.ceiling = perSecond
	}
	p.window = 0 // a ceiling is a pace already: no need to start slowly
	p.mu.Unlock()
	p.update(func(*paceState) {})
}

// update changes the shared state, as seen by this process's run.
func (p *pace) update(f func(s *paceState)) {
	p.mu.Lock()
	ceiling := p.ceiling
	p.mu.Unlock()
	now := p.now()
	p.store.update(now, func(s *paceState) {
		s.forRun(p.run, ceiling, now)
		f(s)
		s.saveRun(p.run)
		if s.Rate > 0 || s.Ceiling > 0 {
			p.endSlowStart()
		}
	})
}

func (p *pace) endSlowStart() {
	p.mu.Lock()
	p.window = 0
	p.mu.Unlock()
}

// wait blocks until the call may be sent: at its turn, after any pause the service asked for. ticket is the
// call's place in line (pace.ticket), the same for every attempt of the call. bound is the time allowed for one
// call, for messages. It fails at once, sending nothing, when the turn lies past ctx's deadline.
//
// The calls of a process wait in line by ticket, and only the first of them waits for the next turn, looking
// again whenever it wakes: a turn is never booked ahead, so a pace that rises or a pause that begins applies to
// the very next call; and a call sent again after a 429 keeps its place, so that it is not sent to the back of the
// line each time until its bound runs out.
func (p *pace) wait(ctx context.Context, bound time.Duration, ticket uint64) error {
	deadline, bounded := ctx.Deadline()
	if !bounded {
		deadline = p.now().Add(10 * maxAskedWait)
	}
	jitter := rand.Float64()
	// A call whose turn cannot come in time, behind the calls in line before it, is not sent, and does not wait.
	if err := p.look(deadline, bound, jitter, p.line.join(ticket)); err != nil {
		p.line.leave(ticket, false)
		return err
	}
	if err := p.line.first(ctx, ticket); err != nil {
		return err
	}
	defer p.line.leave(ticket, true)
	if err := p.enter(ctx); err != nil {
		return err
	}
	for {
		now := p.now()
		var at time.Time
		var err error
		p.update(func(s *paceState) {
			if at = s.earliest(now, jitter); at.After(deadline) {
				err = s.notSent(p.service, now, at, deadline, bound)
			} else if !at.After(now) {
				s.take(now)
			}
		})
		switch {
		case err != nil:
			p.leave(false)
			return err
		case !at.After(now):
			return nil
		case !sleep(ctx, min(at.Sub(now), recheck)):
			p.leave(false)
			return ctx.Err()
		}
	}
}

// ticket is a new call's place in line.
func (p *pace) ticket() uint64 { return p.tickets.Add(1) }

// line orders the calls waiting for a turn by ticket; the first of them waits for the turn itself.
type line struct {
	mu      sync.Mutex
	waiting []uint64 // in order
	busy    bool     // the first is waiting for its turn
	changed chan struct{}
}

// join puts ticket in line and says how many calls are before it.
func (l *line) join(ticket uint64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	i, _ := slices.BinarySearch(l.waiting, ticket)
	l.waiting = slices.Insert(l.waiting, i, ticket)
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return i
}

// first waits until ticket is first in line and no call is waiting for its turn.
func (l *line) first(ctx context.Context, ticket uint64) error {
	for {
		l.mu.Lock()
		if !l.busy && l.waiting[0] == ticket {
			l.busy = true
			l.mu.Unlock()
			return nil
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			l.leave(ticket, false)
			return ctx.Err()
		case <-changed:
		}
	}
}

// leave takes ticket out of line; first says it was the one waiting for its turn.
func (l *line) leave(ticket uint64, first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i, found := slices.BinarySearch(l.waiting, ticket); found {
		l.waiting = slices.Delete(l.waiting, i, i+1)
	}
	if first {
		l.busy = false
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// look fails a call whose turn, behind ahead calls, lies past deadline.
func (p *pace) look(deadline time.Time, bound time.Duration, jitter float64, ahead int) error {
	now := p.now()
	var err error
	p.update(func(s *paceState) {
		at := s.earliest(now, jitter).Add(time.Duration(ahead) * s.interval(now))
		if at.After(deadline) {
			err = s.notSent(p.service, now, at, deadline, bound)
		}
	})
	return err
}

// enter waits for room in the slow start's window.
func (p *pace) enter(ctx context.Context) error {
	for {
		p.mu.Lock()
		if p.window > 0 && p.opened.IsZero() {
			p.opened = p.now()
		}
		// The window also widens by one every startStep without answers, so that a slow service, or one that
		// holds its answers, is not called one call at a time.
		if p.window == 0 || p.inflight < p.window+int(p.now().Sub(p.opened)/startStep) {
			p.inflight++
			p.mu.Unlock()
			return nil
		}
		answered := p.answered
		p.mu.Unlock()
		if !waitFor(ctx, answered, startStep) && ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// waitFor waits until ch is closed (true), d passes or ctx ends (false).
func waitFor(ctx context.Context, ch <-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-ctx.Done():
	case <-timer.C:
	}
	return false
}

// leave ends a call's flight; an accepted one widens the slow start's window, which ends once it is wide enough
// for any run.
func (p *pace) leave(accepted bool) {
	p.mu.Lock()
	p.inflight--
	if accepted && p.window > 0 {
		// One more call in flight per window's worth of answers: a round trip.
		if p.acks++; p.acks >= p.window {
			p.acks = 0
			if p.window++; p.window >= endWindow {
				p.window = 0
			}
		}
	}
	close(p.answered)
	p.answered = make(chan struct{})
	p.mu.Unlock()
}

// refuse takes in a 429 to a call sent at sent and returns the pause the refused call waits before it is sent
// again, and whether every call waits for it.
func (p *pace) refuse(sent time.Time, h http.Header, call string) (pause time.Duration, all bool) {
	p.mu.Lock()
	others := p.inflight - 1
	p.mu.Unlock()
	p.update(func(s *paceState) { pause, all = s.refuse(sent, p.now(), h, call, others) })
	p.endSlowStart()
	p.leave(false)
	return pause, all
}

// accept takes in any other answer to a call sent at sent.
func (p *pace) accept(sent time.Time, h http.Header, status int, call string) {
	p.update(func(s *paceState) { s.accept(sent, p.now(), h, status, call) })
	p.leave(true)
}

// describe says what the pace is and where it comes from, for messages and logs.
func (p *pace) describe() string {
	var d string
	p.update(func(s *paceState) { d = s.describe(p.now()) })
	return d
}

// paceStore keeps the state of one account's pace: in memory for one process (memStore), or in a file the
// processes of one run share (fileStore).
type paceStore interface {
	update(now time.Time, f func(s *paceState))
}

type memStore struct {
	mu sync.Mutex
	s  paceState
}

func (m *memStore) update(now time.Time, f func(s *paceState)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(&m.s)
	m.s.Updated = now
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
	bound   time.Duration // the time allowed for one call, for messages
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
	call := req.Method + " " + req.URL.EscapedPath()
	ticket := t.pace.ticket()
	var lastRefusal *http.Response // the last 429, its body read, for when the bound leaves no room to send again
	for {
		if err := t.pace.wait(ctx, t.bound, ticket); err != nil {
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
			t.pace.leave(false)
			return answerOr(ctx, lastRefusal, err)
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.pace.accept(sent, resp.Header, resp.StatusCode, call)
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}
		pause, all := t.pace.refuse(sent, resp.Header, call)
		refusals := state.refused()
		deadline, bounded := ctx.Deadline()
		fits := !bounded || t.pace.now().Add(pause).Before(deadline)
		t.log(ctx, "API rate limit: 429 answered, nothing done", map[string]any{
			"pause_ms": pause.Milliseconds(), "every_call_paused": all, "refusals": refusals, "sent_again": fits,
			"pace": t.pace.describe(),
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
		if !all && !sleep(ctx, pause) {
			return answerOr(ctx, lastRefusal, ctx.Err())
		}
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
