package transport

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// What a service says of its rate limit, read from its answers: Retry-After, the RateLimit-* and X-RateLimit-*
// headers many services send, and the RateLimit field of the IETF draft "RateLimit header fields for HTTP".

// maxAskedWait is the longest wait a header is read as. A longer one (a Retry-After of 18446744074 seconds) is
// read as this, which is longer than any call's bound, so the call ends at once saying how long was asked; it is
// never let overflow into a short wait.
const maxAskedWait = 366 * 24 * time.Hour

// askedWait is a wait a service asked for, and the header that asked, as a message quotes it.
type askedWait struct {
	wait   time.Duration
	header string // e.g. "Retry-After: 86400", escaped and shortened: it is the server's text
	capped bool   // the header asked for more than maxAskedWait
}

// describe says how long was asked, for a message: "1 day (Retry-After: 86400)".
func (a askedWait) describe() string {
	d := ReadableDuration(a.wait)
	if a.capped {
		d = "more than " + d
	}
	return fmt.Sprintf("%s (%s)", d, a.header)
}

// retryAfter reads Retry-After: delay-seconds, or an HTTP date in any of the three forms HTTP allows (RFC 1123,
// RFC 850, asctime). A date is counted from the answer's own Date header when it has one, so that a client whose
// clock is off still waits as long as the server meant. A value that cannot be read is not a wait: the caller
// falls back to its default.
func retryAfter(h http.Header, now time.Time) (askedWait, bool) {
	raw := strings.TrimSpace(h.Get("Retry-After"))
	if raw == "" {
		return askedWait{}, false
	}
	quoted := "Retry-After: " + CleanText(raw, 40)
	if wait, capped, ok := parseSeconds(raw); ok {
		return askedWait{wait: wait, header: quoted, capped: capped}, true
	}
	at, err := http.ParseTime(raw)
	if err != nil {
		return askedWait{}, false
	}
	wait, capped := untilDate(at, h, now)
	return askedWait{wait: wait, header: quoted, capped: capped}, true
}

// untilDate is how long from the answer until at, by the answer's Date header if it has one, else by now.
func untilDate(at time.Time, h http.Header, now time.Time) (time.Duration, bool) {
	from := now
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		from = date
	}
	if at.After(from.Add(maxAskedWait)) {
		return maxAskedWait, true
	}
	return max(at.Sub(from), 0), false
}

// parseSeconds reads a non-negative number of seconds, whole or (as some services send) with a fraction.
func parseSeconds(raw string) (wait time.Duration, capped, ok bool) {
	s, err := strconv.ParseFloat(raw, 64)
	if err != nil || s < 0 || math.IsNaN(s) || strings.ContainsAny(raw, "eEnNxX+") {
		return 0, false, false
	}
	if s >= maxAskedWait.Seconds() {
		return maxAskedWait, s > maxAskedWait.Seconds(), true
	}
	return time.Duration(s * float64(time.Second)), false, true
}

// unixTimes is where a reset stops being read as seconds from now and starts being read as a Unix time, as
// X-RateLimit-Reset is sent by some services (GitHub's among them): no window lasts 30 years.
const unixTimes = 1_000_000_000

// quota is what rate-limit headers say of the caller's quota: how many calls it has left, and when it resets.
type quota struct {
	remaining    int64
	hasRemaining bool
	reset        askedWait
	hasReset     bool
	text         string // the headers, as a message quotes them
}

// rateHeaders reads the quota from the RateLimit field of the IETF draft (`RateLimit: "default";r=0;t=30`, the
// item with the fewest calls left), else RateLimit-Remaining and RateLimit-Reset, else their X-RateLimit-*
// forms. A reset is seconds from now, or a Unix time (unixTimes).
func rateHeaders(h http.Header, now time.Time) quota {
	if q, ok := structuredRateLimit(h); ok {
		return q
	}
	var q quota
	for _, prefix := range []string{"RateLimit-", "X-RateLimit-"} {
		if v := strings.TrimSpace(h.Get(prefix + "Remaining")); v != "" && !q.hasRemaining {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				q.remaining, q.hasRemaining = n, true
			}
		}
		if v := strings.TrimSpace(h.Get(prefix + "Reset")); v != "" && !q.hasReset {
			q.reset, q.hasReset = readReset(prefix+"Reset", v, h, now)
		}
	}
	if q.hasRemaining && q.hasReset {
		q.text = fmt.Sprintf("%s, %s", remainingHeader(h), q.reset.header)
	}
	return q
}

// remainingHeader quotes the header that said how many calls are left.
func remainingHeader(h http.Header) string {
	for _, name := range []string{"RateLimit-Remaining", "X-RateLimit-Remaining"} {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			return name + ": " + CleanText(v, 20)
		}
	}
	return ""
}

// readReset reads one reset value: seconds, or a Unix time.
func readReset(name, raw string, h http.Header, now time.Time) (askedWait, bool) {
	quoted := name + ": " + CleanText(raw, 40)
	wait, capped, ok := parseSeconds(raw)
	if !ok {
		return askedWait{}, false
	}
	if secs, _ := strconv.ParseFloat(raw, 64); secs >= unixTimes {
		whole, frac := math.Modf(secs)
		wait, capped = untilDate(time.Unix(int64(whole), int64(frac*1e9)), h, now)
	}
	return askedWait{wait: wait, header: quoted, capped: capped}, true
}

// structuredRateLimit reads the draft's RateLimit field: a list of items, each with r (calls left) and t
// (seconds until the window resets). Of several, the one with the fewest calls left binds.
func structuredRateLimit(h http.Header) (quota, bool) {
	raw := strings.TrimSpace(strings.Join(h.Values("RateLimit"), ","))
	if raw == "" {
		return quota{}, false
	}
	var best quota
	found := false
	for item := range strings.SplitSeq(raw, ",") {
		var q quota
		for param := range strings.SplitSeq(item, ";") {
			key, value, ok := strings.Cut(strings.TrimSpace(param), "=")
			if !ok {
				continue
			}
			switch strings.TrimSpace(key) {
			case "r":
				if n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err == nil && n >= 0 {
					q.remaining, q.hasRemaining = n, true
				}
			case "t":
				if wait, capped, ok := parseSeconds(strings.TrimSpace(value)); ok {
					q.reset, q.hasReset = askedWait{wait: wait, capped: capped}, true
				}
			}
		}
		if q.hasRemaining && (!found || q.remaining < best.remaining) {
			q.text = "RateLimit: " + CleanText(strings.TrimSpace(item), 60)
			q.reset.header = q.text
			best, found = q, true
		}
	}
	return best, found
}

// ReadableDuration prints a wait for a person: "250ms", "1.5s", "1h0m0s", and days for anything of a day or
// more ("1 day", "2 days 3h0m0s"), the scale of a quota.
func ReadableDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= 10*time.Second {
		d = d.Round(time.Second)
	}
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d < day:
		return d.Round(time.Second).String()
	}
	days := int64(d / day)
	unit := "days"
	if days == 1 {
		unit = "day"
	}
	text := fmt.Sprintf("%d %s", days, unit)
	if rest := (d % day).Round(time.Second); rest > 0 {
		text += " " + rest.String()
	}
	return text
}
