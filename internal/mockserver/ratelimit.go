package mockserver

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimit makes each service admit at most PerSecond requests per second from each credential (token or API
// key), as a token bucket of Burst requests: past it a request is answered 429 with Retry-After, and nothing is
// done. Sellfern's and SelSup's documents name 429 without saying how many requests they admit; this is how
// such services limit their callers.
type RateLimit struct {
	PerSecond float64 // zero: no limit
	Burst     int     // the bucket's size; zero means PerSecond rounded up (at least 1)
	// Headers makes every answer say where the bucket stands: RateLimit-Limit (the bucket's size),
	// RateLimit-Remaining and RateLimit-Reset (whole seconds until a request would be admitted again).
	Headers bool
}

// limiter holds the buckets of one RateLimit setting.
type limiter struct {
	cfg     RateLimit
	mu      sync.Mutex
	buckets map[string]*rate.Limiter // by service prefix and credential
}

func newLimiter(cfg RateLimit) *limiter {
	if cfg.PerSecond <= 0 {
		return nil
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(math.Ceil(cfg.PerSecond)))
	}
	return &limiter{cfg: cfg, buckets: map[string]*rate.Limiter{}}
}

// SetRateLimit replaces the rate limit (a zero RateLimit lifts it); the buckets start full.
func (s *Server) SetRateLimit(cfg RateLimit) {
	l := newLimiter(cfg)
	s.updateConfig(func(c *runtimeConfig) { c.limiter = l })
}

// admit takes a token for the request from its credential's bucket, or answers 429 and reports false.
func (l *limiter) admit(w http.ResponseWriter, r *http.Request, prefix string, svc service) bool {
	if l == nil {
		return true
	}
	key := prefix + "\x00" + r.Header.Get("Authorization")
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		b = rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)
		l.buckets[key] = b
	}
	l.mu.Unlock()
	now := time.Now()
	ok := b.AllowN(now, 1)
	if l.cfg.Headers {
		remaining := int(b.TokensAt(now))
		w.Header().Set("RateLimit-Limit", strconv.Itoa(l.cfg.Burst))
		w.Header().Set("RateLimit-Remaining", strconv.Itoa(max(remaining, 0)))
		w.Header().Set("RateLimit-Reset", wholeSeconds(untilToken(b, now)))
	}
	if ok {
		return true
	}
	w.Header().Set("Retry-After", wholeSeconds(untilToken(b, now)))
	svc.writeFault(w, Fault429)
	return false
}

// untilToken is how long until the bucket holds a whole token again.
func untilToken(b *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - b.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / float64(b.Limit()) * float64(time.Second))
}

// wholeSeconds renders d in whole seconds, rounded up, as Retry-After is written: a client that honours it never
// comes back before a token is there.
func wholeSeconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
