package transport

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Retry-After in each form HTTP allows: delay-seconds, and an HTTP date as RFC 1123, RFC 850 or asctime writes
// it, counted from the answer's Date when there is one. Absurd values are capped, never overflowed into a short
// wait, and what cannot be read is no wait at all.
func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	in90s := now.Add(90 * time.Second)
	cases := []struct {
		name, header, date string
		want               time.Duration
		capped, ok         bool
	}{
		{"seconds", "3", "", 3 * time.Second, false, true},
		{"zero", "0", "", 0, false, true},
		{"a fraction", "1.5", "", 1500 * time.Millisecond, false, true},
		{"a day", "86400", "", 24 * time.Hour, false, true},
		{"beyond any duration", "18446744074", "", maxAskedWait, true, true},
		{"beyond even a float", "100000000000000000000000000000", "", maxAskedWait, true, true},
		{"negative", "-1", "", 0, false, false},
		{"words", "soon", "", 0, false, false},
		{"hex", "0x10", "", 0, false, false},
		{"infinity", "Inf", "", 0, false, false},
		{"empty", "", "", 0, false, false},
		{"RFC 1123", in90s.Format(http.TimeFormat), "", 90 * time.Second, false, true},
		{"RFC 850", in90s.Format(time.RFC850), "", 90 * time.Second, false, true},
		{"asctime", in90s.Format(time.ANSIC), "", 90 * time.Second, false, true},
		{"a date in the past", now.Add(-time.Minute).Format(http.TimeFormat), "", 0, false, true},
		{"a date by the server's clock", in90s.Format(http.TimeFormat), now.Add(30 * time.Second).Format(http.TimeFormat),
			60 * time.Second, false, true},
		{"a date centuries away", "Fri, 31 Dec 9999 23:59:59 GMT", "", maxAskedWait, true, true},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		if tc.date != "" {
			h.Set("Date", tc.date)
		}
		got, ok := retryAfter(h, now)
		if got.wait != tc.want || got.capped != tc.capped || ok != tc.ok {
			t.Errorf("%s, Retry-After %q: got %v capped %v ok %v, want %v %v %v", tc.name, tc.header, got.wait,
				got.capped, ok, tc.want, tc.capped, tc.ok)
		}
		if ok && got.header != "Retry-After: "+strings.Join(strings.Fields(tc.header), " ") {
			t.Errorf("%s: quoted as %q", tc.name, got.header)
		}
	}
}

// The quota from rate headers: the draft's RateLimit field (the item with the fewest calls left), else
// RateLimit-*, else X-RateLimit-*; a reset in seconds or as a Unix time; far resets capped.
func TestRateHeaders(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		h         http.Header
		remaining int64
		reset     time.Duration
		capped    bool
		text      string
	}{
		{"RateLimit-*", http.Header{"Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"3600"}}, 0, time.Hour, false,
			"RateLimit-Remaining: 0, RateLimit-Reset: 3600"},
		{"X-RateLimit-* with a Unix time", http.Header{"X-Ratelimit-Remaining": {"4"},
			"X-Ratelimit-Reset": {"1796133600"}}, 4, time.Unix(1796133600, 0).Sub(now), false,
			"X-RateLimit-Remaining: 4, X-RateLimit-Reset: 1796133600"},
		{"a reset past any duration", http.Header{"X-Ratelimit-Remaining": {"0"},
			"X-Ratelimit-Reset": {"99999999999999"}}, 0, maxAskedWait, true,
			"X-RateLimit-Remaining: 0, X-RateLimit-Reset: 99999999999999"},
		{"the draft's field", http.Header{"Ratelimit": {`"hour";r=40;t=1200, "second";r=0;t=1`}}, 0, time.Second, false,
			`RateLimit: "second";r=0;t=1`},
	}
	for _, tc := range cases {
		q := rateHeaders(tc.h, now)
		if !q.hasRemaining || !q.hasReset || q.remaining != tc.remaining || q.reset.wait != tc.reset ||
			q.reset.capped != tc.capped || q.text != tc.text {
			t.Errorf("%s: got %+v", tc.name, q)
		}
	}
	if q := rateHeaders(http.Header{"Ratelimit-Remaining": {"many"}}, now); q.hasRemaining || q.hasReset {
		t.Errorf("unreadable headers read as %+v", q)
	}
}

// Waits print for a person: never an overflowed duration, days for a quota.
func TestReadableDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		250 * time.Millisecond:            "250ms",
		1500 * time.Millisecond:           "1.5s",
		42*time.Second + time.Millisecond: "42s",
		time.Hour:                         "1h0m0s",
		24 * time.Hour:                    "1 day",
		50*time.Hour + 30*time.Minute:     "2 days 2h30m0s",
		maxAskedWait:                      "366 days",
	} {
		if got := ReadableDuration(d); got != want {
			t.Errorf("ReadableDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
