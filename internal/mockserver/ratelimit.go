package mockserver

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit makes each service admit at most PerSecond requests per second from each credential (token or API
// key), as a token bucket of Burst requests: past it a request is answered 429 with Retry-After, and nothing is
// done. Sellfern's and SelSup's documents name 429 without saying how many requests they admit; this is how
// such services limit their callers. Quota adds a fixed window, as a service with an hourly or daily quota has.
type RateLimit struct {
	PerSecond float64 // zero: no rate
	Burst     int     // the bucket's size; zero means PerSecond rounded up (at least 1)
	// Headers makes every answer say where the credential stands: RateLimit-Limit, RateLimit-Remaining and
	// RateLimit-Reset (whole seconds until a request would be admitted again, or until the quota's window ends).
	Headers bool
	// NeighbourHold makes a neighbour, another client of the same credential, take every token for this long,
	// from NeighbourAfter after the first request the credential makes after the setting: every request
	// meanwhile is refused (with Retry-After: the time for one token, all the service knows), and the bucket is
	// empty when the hold ends.
	NeighbourHold  time.Duration
	NeighbourAfter time.Duration
	// Quota admits at most Quota requests from each credential in each QuotaWindow, counted from its first
	// request; past it a request gets 429 with Retry-After until the window ends. Zero: no quota.
	Quota       int
	QuotaWindow time.Duration
}

// limiter holds the buckets of one RateLimit setting.
type limiter struct {
	cfg     RateLimit
	mu      sync.Mutex
	buckets map[string]*bucket // by service prefix and credential
}

// bucket is one credential's token bucket, neighbour and quota. Tokens that come while the bucket is full are
// counted as unused: capacity no client took.
type bucket struct {
	tokens      float64
	last        time.Time
	holdFrom    time.Time
	holdUntil   time.Time
	quotaUsed   int
	quotaEnds   time.Time
	unused      float64
	holdStarted bool
}

func newLimiter(cfg RateLimit) *limiter {
	if cfg.PerSecond <= 0 && cfg.Quota <= 0 {
		return nil
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(math.Ceil(cfg.PerSecond)))
	}
	return &limiter{cfg: cfg, buckets: map[string]*bucket{}}
}

// SetRateLimit replaces the rate limit (a zero RateLimit lifts it); the buckets start full.
func (s *Server) SetRateLimit(cfg RateLimit) {
	l := newLimiter(cfg)
	s.updateConfig(func(c *runtimeConfig) { c.limiter = l })
}

// verdict is what the rate limit decided for one request, for the counters.
type verdict struct {
	admitted bool
	held     bool // refused because a neighbour held the quota
	unused   int  // whole tokens that went unused since the credential's request before this one
}

// admit takes a token for the request from its credential's bucket (and its quota), or answers 429.
func (l *limiter) admit(w http.ResponseWriter, r *http.Request, prefix string, svc service) verdict {
	if l == nil {
		return verdict{admitted: true}
	}
	now := time.Now()
	key := prefix + "\x00" + r.Header.Get("Authorization")
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.cfg.Burst), last: now}
		l.buckets[key] = b
	}
	v, wait, remaining, reset := l.take(b, now)
	l.mu.Unlock()

	if l.cfg.Headers {
		limit := l.cfg.Burst
		if l.cfg.Quota > 0 {
			limit = l.cfg.Quota
		}
		w.Header().Set("RateLimit-Limit", strconv.Itoa(limit))
		w.Header().Set("RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
		w.Header().Set("RateLimit-Reset", wholeSeconds(reset))
	}
	if !v.admitted {
		w.Header().Set("Retry-After", wholeSeconds(wait))
		svc.writeFault(w, Fault429)
	}
	return v
}

// take decides one request at now: whether it is admitted, the wait a refusal asks for, and the calls left and
// the time until more are admitted, for the headers. l.mu is held.
func (l *limiter) take(b *bucket, now time.Time) (v verdict, wait time.Duration, remaining int, reset time.Duration) {
	if l.cfg.NeighbourHold > 0 && !b.holdStarted {
		b.holdStarted = true
		b.holdFrom = now.Add(l.cfg.NeighbourAfter)
		b.holdUntil = b.holdFrom.Add(l.cfg.NeighbourHold)
	}
	interval := time.Duration(0)
	if l.cfg.PerSecond > 0 {
		interval = time.Duration(float64(time.Second) / l.cfg.PerSecond)
		gained := now.Sub(b.last).Seconds() * l.cfg.PerSecond
		if b.holdUntil.After(b.last) && now.After(b.holdFrom) {
			// The neighbour took every token there was when the hold began, and every one that came until its end.
			gained = max(now.Sub(b.holdUntil).Seconds(), 0) * l.cfg.PerSecond
			b.tokens = 0
		}
		if over := b.tokens + gained - float64(l.cfg.Burst); over > 0 {
			b.unused += over
		}
		b.tokens = min(float64(l.cfg.Burst), b.tokens+gained)
	}
	b.last = now
	whole := math.Floor(b.unused)
	v.unused, b.unused = int(whole), b.unused-whole

	if !now.Before(b.holdFrom) && now.Before(b.holdUntil) {
		v.held = true
		return v, max(interval, time.Second), 0, b.holdUntil.Sub(now) + interval
	}
	if l.cfg.Quota > 0 {
		if !now.Before(b.quotaEnds) {
			b.quotaUsed, b.quotaEnds = 0, now.Add(l.cfg.QuotaWindow)
		}
		if b.quotaUsed >= l.cfg.Quota {
			left := b.quotaEnds.Sub(now)
			return v, left, 0, left
		}
	}
	if l.cfg.PerSecond > 0 {
		if b.tokens < 1 {
			untilToken := time.Duration((1 - b.tokens) / l.cfg.PerSecond * float64(time.Second))
			return v, untilToken, 0, untilToken
		}
		b.tokens--
		remaining = int(b.tokens)
		if remaining == 0 {
			reset = time.Duration((1 - b.tokens) / l.cfg.PerSecond * float64(time.Second))
		}
	}
	v.admitted = true
	if l.cfg.Quota > 0 {
		// The headers speak of the quota, which is what a client must keep to for hours.
		b.quotaUsed++
		remaining, reset = l.cfg.Quota-b.quotaUsed, 0
		if remaining == 0 {
			reset = b.quotaEnds.Sub(now)
		}
	}
	return v, 0, remaining, reset
}

// wholeSeconds renders d in whole seconds, rounded up, as Retry-After is written: a client that honours it never
// comes back before a token is there.
func wholeSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
