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
//     then doubles, as in slow start, until a refusal.
//   - Every probe above a limit costs a refusal, so how often to probe is a trade: a client that cannot tell a
//     limit of 1 request per second from a share of 1 of a larger one probes in time, which at a slow limit is
//     often in calls, while a client alone at it should probe rarely. The service's answers tell the two apart: a
//     limit it refuses again at about the rate it refused before (within steadyWithin) holds steady, just below
//     the lower of the two. The climb then goes back to a little under it (steadyBelow), where the service refuses
//     nothing even with a bucket of one, and each such refusal doubles the climb's time units, up to the time their
//     calls take (units), so that a steady slow limit is probed as rarely, in calls, as a fast one. Until then the
//     units are short, so that a client whose share is small (it learned the limit while others held most of it)
//     finds the capacity they free within seconds. Fast convergence (RFC 8312 4.6): a client refused below the
//     rate it climbs back to, not at about the rate refused before (someone arrived), remembers a rate between
//     the two, leaving room to the newcomer.
//   - Learning from refusals even when nothing was accepted yet: the first refusal sets the pace from the calls the
//     service accepted in the second before it (its rate, and its burst, which lowerBy discounts), the calls still
//     in flight included, as most reached the service before the refused one; each of them that comes back refused
//     is taken out again, as at a slow limit the calls sent with the refused one are refused too. When it accepted
//     none (another client holds the quota), the pace comes from the pause it asked for: one call per pause,
//     lowered. Refusals in a row lower the pace further, so that few calls are sent while the account is taken,
//     but keep the rate to climb back to; once a call is accepted after refusals that lasted blockedFor, the
//     account is free again, and the rate doubles every doubleEvery until a refusal says how much.
//   - Slow start (TCP's), the account's on the machine: until the service pushes back or a rate is known, the
//     calls in flight, those of every process that shares the pace, start at one and grow by one per round trip
//     (and every startStep that the oldest waits for its answer, for a service slow to answer), so that neither a
//     run's first wave of ten calls nor the first calls of several runs that start together hit an unknown limit
//     at once: a second run waits for the first answer instead of being refused. Each call in flight holds a
//     lease in the shared state, which its answer ends; a process that dies holding one holds back the others for
//     at most startStep, and its lease lapses after flightLease.
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
	// comes first; then beyond it, by (1-lowerBy) of it for each climbCalls calls or probeTime, cubed (units says
	// how the times grow at a slow pace). Chosen by simulating several runs against a token bucket
	// (pace_sim_test.go): shorter ones refuse more often, longer ones leave freed capacity unused for longer.
	backCalls  = 24.0
	backTime   = 10 * time.Second
	climbCalls = 36.0
	probeTime  = 3 * time.Second
	// A refusal within steadyWithin of the rate refused before says the limit holds steady: the climb goes back to
	// steadyBelow under it, and each such refusal doubles the climb's time units, steadyDoublings times at most
	// (units).
	steadyWithin    = 0.1
	steadyBelow     = 0.05
	steadyDoublings = 2
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
	// often it widens by one while the oldest call in flight waits for its answer.
	startWindow = 1
	endWindow   = 16
	startStep   = 250 * time.Millisecond
	// flightLease is the longest a call counts as in flight in the slow start: the lease of a process that died
	// with calls in flight, or of a call slower than that, is then dropped. flightPoll is how often a call that
	// waits for room looks again, as the answer that makes room may come to another process.
	flightLease = 2 * time.Second
	flightPoll  = 20 * time.Millisecond
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
	Steady    int       `json:"steady,omitempty"`    // refusals in a row at about the same rate (units)
	Refused   float64   `json:"refused,omitempty"`   // the rate of the last refusal in a climb, or the first estimate
	Mode      string    `json:"mode,omitempty"`      // how the rate moves: modeClimb, modeBlocked or modeRestart
	ClimbFrom time.Time `json:"climb_from,omitzero"` // the climb's time origin
	// BlockedSince is when the refusals in a row began.
	BlockedSince time.Time `json:"blocked_since,omitzero"`
	// AcceptedSince says a call was accepted since the last refusal: refusals in a row mean the account is taken.
	AcceptedSince bool `json:"accepted_since,omitempty"`

	Last     time.Time   `json:"last,omitzero"`      // the last turn taken: the next is an interval later
	ResumeAt time.Time   `json:"resume_at,omitzero"` // the end of the pause the service asked for
	Cause    *pauseCause `json:"cause,omitempty"`    // what asked for the pause, for messages

	Accepted []time.Time `json:"accepted,omitempty"` // send times of calls accepted lately, until a rate is learned
	// The slow start, until a rate is learned: the calls in flight, each under a lease, and how many times the
	// window of calls in flight has widened from startWindow; WideEnough once it reached endWindow.
	Flights    []flight `json:"flights,omitempty"`
	Widened    int      `json:"widened,omitempty"`
	Acks       int      `json:"acks,omitempty"` // calls accepted since the window last widened
	WideEnough bool     `json:"wide_enough,omitempty"`
	// The first estimate: the calls it counted (Estimate), and those of them that were still in flight.
	Estimate  int       `json:"estimate,omitempty"`
	Counted   []uint64  `json:"counted,omitempty"`
	Budget    int64     `json:"budget,omitempty"`       // calls the rate headers left before BudgetEnd
	BudgetEnd time.Time `json:"budget_end,omitzero"`    // the reset those headers announced
	Updated   time.Time `json:"updated,omitzero"`       // the last change, to drop a state left by an older run
	Headers   bool      `json:"from_headers,omitempty"` // the rate in force was set by rate headers, not by a 429
}

// flight is a call in flight in the slow start: the lease it holds on the window.
type flight struct {
	ID   uint64    `json:"id"`
	Sent time.Time `json:"sent"`
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

// room says whether the slow start has room for one more call of the run in flight at now: always, once a rate
// is learned or the window is wide enough, and for a run with a ceiling, which is a pace already. The window
// widens by one for each answer that comes back accepted while it is full (one more call per round trip), and
// by one for every startStep the oldest call in flight has waited, so that a service slow to answer, or one
// that holds its answers, is not called one call at a time.
func (s *paceState) room(now time.Time) bool {
	s.Flights = slices.DeleteFunc(s.Flights, func(f flight) bool { return now.Sub(f.Sent) > flightLease })
	if s.Rate > 0 || s.WideEnough || s.Ceiling > 0 || len(s.Flights) == 0 {
		return true
	}
	window := startWindow + s.Widened + int(now.Sub(s.Flights[0].Sent)/startStep)
	return len(s.Flights) < window
}

// depart takes a lease for a call sent at now, until a rate is learned.
func (s *paceState) depart(id uint64, now time.Time) {
	if s.Rate == 0 {
		s.Flights = append(s.Flights, flight{ID: id, Sent: now})
	}
}

// land ends the lease of a call answered (accepted: not with a 429) or failed; an accepted one widens the window
// once a window's worth have been, until it is wide enough for any run.
func (s *paceState) land(id uint64, accepted bool) {
	i := slices.IndexFunc(s.Flights, func(f flight) bool { return f.ID == id })
	if i < 0 {
		if !accepted {
			s.uncount(id)
		}
		return
	}
	s.Flights = slices.Delete(s.Flights, i, i+1)
	if !accepted || s.Rate > 0 || s.WideEnough {
		return
	}
	if s.Acks++; s.Acks >= startWindow+s.Widened {
		s.Acks, s.Widened = 0, s.Widened+1
		s.WideEnough = startWindow+s.Widened >= endWindow
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
func (s *paceState) refuse(sent, now time.Time, h http.Header, call string) (pause time.Duration, all bool) {
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
		s.learn(sent, now, pause)
	case !sent.After(s.Lowered):
		// Sent at an older, faster rate: that one was lowered already.
	case !s.AcceptedSince:
		// Refused again with nothing accepted in between: the pace is too fast, or the account is taken by
		// others for now. The rate goes down, and the rate to climb back to stays the one that worked.
		s.Counted, s.Steady = nil, 0
		keep := s.Max
		s.setRate(max(s.limit(now)*lowerBy, minRate), now)
		s.Max, s.Mode = keep, modeBlocked
	default:
		s.Counted = nil
		current := s.limit(sent)
		// Refused at about the rate refused before: the limit holds steady, just below the lower of the two; the
		// climb goes back to a little under it, and probes beyond it less often (units). Refused below the rate
		// to climb back to otherwise: another client arrived, and gets room (fast convergence).
		switch {
		case s.MaxKnown && s.Refused > 0 && math.Abs(current/s.Refused-1) <= steadyWithin:
			s.Steady++
			s.Max = min(current, s.Refused) * (1 - steadyBelow)
		case s.MaxKnown && current < s.Max:
			s.Steady = 0
			s.Max = current * (1 + lowerBy) / 2
		default:
			s.Steady = 0
			s.Max = current
		}
		s.Refused = current
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
// flight included, as most reached the service before the refused one; each of them that comes back refused is
// taken out again (land), as at a slow limit the calls sent with the refused one are refused too. When it
// accepted none, another client holds the quota: one call per pause, until the account is free again.
func (s *paceState) learn(sent, now time.Time, pause time.Duration) {
	from, to := sent.Add(-estimateWindow), sent.Add(estimateSlack)
	n := 0
	for _, t := range s.Accepted {
		if !t.Before(from) && !t.After(to) {
			n++
		}
	}
	s.Counted = nil
	for _, f := range s.Flights {
		if !f.Sent.Before(from) && !f.Sent.After(to) {
			n++
			s.Counted = append(s.Counted, f.ID)
		}
	}
	s.Accepted, s.Flights = nil, nil
	s.Steady, s.Refused = 0, 0
	if n == 0 {
		s.Max = max(1/max(pause.Seconds(), 1), minRate)
		s.setRate(s.Max*lowerBy, now)
		s.Mode = modeBlocked
		return
	}
	s.estimate(n)
	s.setRate(max(s.Max*lowerBy, minRate), now)
}

// estimate sets the rate to climb back to from n calls accepted in estimateWindow.
func (s *paceState) estimate(n int) {
	s.Estimate = n
	s.Max = max(float64(n)/estimateWindow.Seconds(), minRate)
	if s.Ceiling > 0 {
		s.Max = min(s.Max, s.Ceiling)
	}
	s.MaxKnown, s.Refused = true, s.Max
	s.Mode = modeClimb
}

// uncount takes out of the first estimate a call it counted as accepted while in flight, which came back
// refused, while that estimate is still the rate's.
func (s *paceState) uncount(id uint64) {
	i := slices.Index(s.Counted, id)
	if i < 0 {
		return
	}
	s.Counted = slices.Delete(s.Counted, i, i+1)
	if s.Estimate > 1 {
		s.estimate(s.Estimate - 1)
		s.Rate, s.Start = max(s.Max*lowerBy, minRate), max(s.Max*lowerBy, minRate)
	}
}

// setRate starts a climb from r; the next turn is one interval of it away, as if one had just been taken.
func (s *paceState) setRate(r float64, now time.Time) {
	s.Rate, s.Start, s.Calm, s.Lowered, s.ClimbFrom = r, r, 0, now, now
	s.Last = later(s.Last, now)
}

// climb is the rate at now, Calm accepted calls after the last decrease: CUBIC's curve, from Start back to Max
// (concave) in backCalls calls or a time unit (units), whichever comes first, then beyond Max (convex), by
// (1-lowerBy)·Max for each climbCalls calls or time unit cubed, then doubling. Counting calls keeps the share of
// refusals the same at any rate; counting time too keeps a slow pace from taking minutes to find capacity freed
// by a neighbour.
func (s *paceState) climb(now time.Time) float64 {
	calm := now.Sub(s.ClimbFrom)
	backFor, probeFor := s.units()
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
			// doubles every half step, as slow start does, until a refusal.
			r = (2 - lowerBy) * s.Max * math.Pow(2, min(2*(x-1), 20))
		}
	}
	if s.Ceiling > 0 {
		r = min(r, s.Ceiling)
	}
	return max(r, s.Start, minRate)
}

// units are the climb's time units at a slow pace, where they come before its calls: back to Max in backFor,
// and beyond it by probeFor. A limit the service keeps refusing at about the same rate (Steady) is there to
// stay: each such refusal doubles the units, up to the time their calls take (backCalls and climbCalls
// intervals of Max), so that a steady slow limit is probed as rarely, in calls, as a fast one. Until then they
// are short: back in half the time backCalls take (within backTime and half as long again), and beyond in
// probeTime, so that a client whose share is small (it learned the limit while others held most of it) finds
// the capacity they free within seconds once they end.
func (s *paceState) units() (backFor, probeFor time.Duration) {
	backFor = min(max(backTime, perSecond(s.Max)*time.Duration(backCalls)/2), backTime*3/2)
	probeFor = probeTime
	if s.Steady > 0 {
		doublings := min(s.Steady, steadyDoublings)
		backFor = max(backFor, min(backFor<<doublings, perSecond(s.Max)*time.Duration(backCalls)))
		probeFor = max(probeFor, min(probeFor<<doublings, perSecond(s.Max)*time.Duration(climbCalls)))
	}
	return backFor, probeFor
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
		s.Mode, s.Calm, s.Steady = modeRestart, 0, 0
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
		s.learn(sent, now, q.reset.wait)
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
// process's own: its ceiling, and its calls' places in line. It is safe for concurrent use.
type pace struct {
	service string
	run     string // the run this process belongs to, when the state is shared between runs
	store   paceStore
	now     func() time.Time

	line    line          // the calls waiting for a turn
	tickets atomic.Uint64 // the last ticket given

	mu       sync.Mutex
	ceiling  float64       // the lowest ceiling of the clients in this process that share the pace; 0: none
	answered chan struct{} // closed at every answer, to wake a call waiting for room in the slow start
}

// newPace returns a pace of its own for one service, in memory; perSecond > 0 is a ceiling.
func newPace(service string, perSecond float64) *pace {
	return newPaceOn(service, perSecond, &memStore{})
}

func newPaceOn(service string, perSecond float64, store paceStore) *pace {
	p := &pace{service: service, store: store, now: time.Now, answered: make(chan struct{})}
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
	})
}

// wait blocks until the call may be sent: at its turn, after any pause the service asked for, with room for it
// in the slow start. ticket is the call's place in line (pace.ticket), the same for every attempt of the call.
// bound is the time allowed for one call, for messages. It fails at once, sending nothing, when the turn lies
// past ctx's deadline. It returns the attempt's flight, which its answer ends (accept, refuse, leave).
//
// The calls of a process wait in line by ticket, and only the first of them waits for the next turn, looking
// again whenever it wakes: a turn is never booked ahead, so a pace that rises or a pause that begins applies to
// the very next call; and a call sent again after a 429 keeps its place, so that it is not sent to the back of the
// line each time until its bound runs out.
func (p *pace) wait(ctx context.Context, bound time.Duration, ticket uint64) (uint64, error) {
	deadline, bounded := ctx.Deadline()
	if !bounded {
		deadline = p.now().Add(10 * maxAskedWait)
	}
	jitter := rand.Float64()
	// A call whose turn cannot come in time, behind the calls in line before it, is not sent, and does not wait.
	if err := p.look(deadline, bound, jitter, p.line.join(ticket)); err != nil {
		p.line.leave(ticket, false)
		return 0, err
	}
	if err := p.line.first(ctx, ticket); err != nil {
		return 0, err
	}
	defer p.line.leave(ticket, true)
	id := rand.Uint64() | 1
	for {
		p.mu.Lock()
		answered := p.answered
		p.mu.Unlock()
		now := p.now()
		var at time.Time
		var err error
		room := true
		p.update(func(s *paceState) {
			if at = s.earliest(now, jitter); at.After(deadline) {
				err = s.notSent(p.service, now, at, deadline, bound)
			} else if !at.After(now) {
				if room = s.room(now); room {
					s.take(now)
					s.depart(id, now)
				}
			}
		})
		switch {
		case err != nil:
			return 0, err
		case !at.After(now) && room:
			return id, nil
		case !at.After(now):
			// Waiting for an answer to make room: one in this process wakes it, one in another is polled for.
			if !waitFor(ctx, answered, flightPoll) && ctx.Err() != nil {
				return 0, ctx.Err()
			}
		case !sleep(ctx, min(at.Sub(now), recheck)):
			return 0, ctx.Err()
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

// leave ends the flight id of a call that got no answer.
func (p *pace) leave(id uint64) {
	p.land(id, false, func(*paceState) {})
}

// land ends the flight id, then changes the state with f, and wakes a call waiting for room.
func (p *pace) land(id uint64, accepted bool, f func(s *paceState)) {
	p.update(func(s *paceState) {
		s.land(id, accepted)
		f(s)
	})
	p.mu.Lock()
	close(p.answered)
	p.answered = make(chan struct{})
	p.mu.Unlock()
}

// refuse takes in a 429 to the call in flight id, sent at sent, and returns the pause the refused call waits
// before it is sent again, and whether every call waits for it.
func (p *pace) refuse(id uint64, sent time.Time, h http.Header, call string) (pause time.Duration, all bool) {
	p.land(id, false, func(s *paceState) { pause, all = s.refuse(sent, p.now(), h, call) })
	return pause, all
}

// accept takes in any other answer to the call in flight id, sent at sent.
func (p *pace) accept(id uint64, sent time.Time, h http.Header, status int, call string) {
	p.land(id, true, func(s *paceState) { s.accept(sent, p.now(), h, status, call) })
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
		id, err := t.pace.wait(ctx, t.bound, ticket)
		if err != nil {
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
			t.pace.leave(id)
			return answerOr(ctx, lastRefusal, err)
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.pace.accept(id, sent, resp.Header, resp.StatusCode, call)
			resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
			return resp, nil
		}
		pause, all := t.pace.refuse(id, sent, resp.Header, call)
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
