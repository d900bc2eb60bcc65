package transport

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
)

// StatusError is a final non-2xx answer. Body has had every configured secret redacted. Clients decode it into
// their own typed errors; its own message is the fallback for bodies nobody understands.
type StatusError struct {
	Service    string
	Method     string
	Path       string
	StatusCode int
	Header     http.Header
	Body       []byte
	Attempts   int
	// Retryable is the retry policy's verdict on this answer (a 5xx but 501), whatever the method.
	Retryable bool
	// Refusals counts the 429 answers the call had (each sent again while Bound allowed); a final 429 means Bound
	// left no room for the pause the service asked for.
	Refusals int
	Bound    time.Duration
	// IdempotencyKey is the Idempotency-Key the call carried, "" for none.
	IdempotencyKey string
	// RequestID is the service's id of the answer (Config.RequestID), fit for a message, or "".
	RequestID string
	redact    func(string) string
}

// Text makes a piece of the body, once decoded, fit for a message: secrets redacted (decoding may have undone
// an escape that hid them from the redaction of the raw body), control characters removed, at most maxLen runes.
func (e *StatusError) Text(s string, maxLen int) string {
	if e.redact != nil {
		s = e.redact(s)
	}
	return CleanText(s, maxLen)
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s API answered %s %s with HTTP %d%s", e.Service, e.Method, e.Path, e.StatusCode, RequestIDNote(e.RequestID))
	if snippet := BodySnippet(e.Header, e.Body); snippet != "" {
		msg += ": " + snippet
	}
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return msg
}

// TooManyRequests explains a final 429, for a client's message after "refused CALL with HTTP 429 (too many
// requests)": how long the service asked to wait and why the call ended without waiting; the call made nothing.
// setting names where a user sets a ceiling for one run ("requests_per_second in the provider's sellfern block").
func (e *StatusError) TooManyRequests(setting string) string {
	if e == nil {
		e = &StatusError{}
	}
	asked, ok := retryAfter(e.Header, time.Now())
	if !ok {
		if q := rateHeaders(e.Header, time.Now()); q.hasReset {
			asked, ok = q.reset, true
		}
	}
	bound := ReadableDuration(e.Bound)
	share := "other clients of the account (other runs, or other tools with the same credential) are using " +
		"its whole rate limit. Nothing was made: try again when they are done, or set " + setting + " in each " +
		"run to its share of the account's limit"
	switch {
	case ok && e.Bound > 0 && asked.wait >= e.Bound:
		return fmt.Sprintf("and asked to wait %s, longer than the %s allowed for one call, so it did nothing. %s",
			asked.describe(), bound, quotaAdvice)
	case e.Refusals > 1:
		return fmt.Sprintf("%d times, waiting each time as long as it asked, until the %s allowed for one call ran "+
			"out, so it did nothing: %s", e.Refusals, bound, share)
	case ok:
		return fmt.Sprintf("and asked to wait %s, more than was left of the %s allowed for one call, so it did "+
			"nothing: %s", asked.describe(), bound, share)
	}
	return fmt.Sprintf("and the %s allowed for one call left no room to wait, so it did nothing: %s", bound, share)
}

// NetworkError is a call that ended without an HTTP answer: connection failures, timeouts, an oversized or
// unreadable body, or cancellation.
type NetworkError struct {
	Service   string
	Method    string
	Path      string
	Attempts  int
	Cancelled bool
	// Retryable is the retry policy's verdict: true for a dropped connection or a timeout, false for a refusal
	// (ErrNotSent), a TLS verification failure, a redirect loop or a cancelled call.
	Retryable bool
	Err       error
}

func (e *NetworkError) Error() string {
	attempts := ""
	if e.Attempts > 1 {
		attempts = fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return fmt.Sprintf("%s API call %s %s failed%s: %v", e.Service, e.Method, e.Path, attempts, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// DecodeError is a 2xx answer that does not carry what the call promises: a body that is not the documented JSON,
// a body that says the call failed, or one without a field the call must return. The call may have taken effect;
// its result is unknown, so it is never read as "nothing there" or "done".
type DecodeError struct {
	Service    string
	Method     string
	Path       string
	StatusCode int
	Detail     string
	// RequestID is the service's id of the answer, fit for a message, or "".
	RequestID string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s API answered %s %s with HTTP %d%s but %s", e.Service, e.Method, e.Path, e.StatusCode,
		RequestIDNote(e.RequestID), e.Detail)
}

// RequestIDNote is " (request id req_…)", the note a message about an answer gives of its request id, or "".
func RequestIDNote(id string) string {
	if id == "" {
		return ""
	}
	return " (request id " + id + ")"
}

// OutcomeUnknown reports whether a failed call might nevertheless have taken effect on the server: no answer came
// back, or the answer was a server-side failure that may have come after the work was done. A definite client
// error (400, 401, 403, 404, 409, 422…) means nothing was changed, and so does a request this layer refused to
// send. So does a 429: a service that limits its callers refuses the surplus before doing anything (the mock
// follows that rule), so a create answered 429 made nothing and is sent again without a reconciling list.
func OutcomeUnknown(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 500 || se.StatusCode == http.StatusRequestTimeout
	}
	if errors.Is(err, ErrNotSent) {
		return false
	}
	// Without an answer, even a cancelled call may have been carried out by the server; with an unreadable
	// success it certainly was, but what it made is unknown.
	var ne *NetworkError
	var de *DecodeError
	return errors.As(err, &ne) || errors.As(err, &de)
}

// RetryableCreate reports whether a create, once its failed attempt is known to have left nothing behind, is worth
// another: on the answers every call is retried on (Retryable), and after a success answer that did not carry the
// new resource.
func RetryableCreate(err error) bool {
	var de *DecodeError
	return Retryable(err) || errors.As(err, &de)
}

// Retryable reports whether a failed call is worth another attempt by the retry policy every call follows: a 5xx
// other than 501, a dropped connection or a timeout. (A 429 was sent again already, for as long as the bound
// allowed.) A create, which is never retried blindly, uses it to
// decide whether to try again once it knows the failed attempt made nothing.
func Retryable(err error) bool {
	var se *StatusError
	var ne *NetworkError
	switch {
	case errors.As(err, &se):
		return se.Retryable
	case errors.As(err, &ne):
		return ne.Retryable
	}
	return false
}

// BodySnippet describes a body nobody could decode: a short, printable excerpt for text, or its type and size.
func BodySnippet(h http.Header, body []byte) string {
	if len(body) == 0 {
		return "empty response body"
	}
	mediaType, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if strings.Contains(mediaType, "html") {
		return fmt.Sprintf("an HTML page (%d bytes) instead of JSON", len(body))
	}
	// A body is quoted the way Go quotes a string, which escapes every character safetext.Escape would, and the
	// quotes and backslashes of the JSON inside too, so the excerpt reads unambiguously.
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "\ufffd")), " ")
	if runes := []rune(text); len(runes) > 200 {
		text = string(runes[:200]) + "…"
	}
	return fmt.Sprintf("%q", text)
}

// CleanText makes text a server sent fit for an error message: every character that could act on a terminal is
// shown escaped (safetext.Escape), runs of white space become one space, and it is cut to at most maxLen runes.
func CleanText(s string, maxLen int) string {
	return safetext.Shorten(strings.Join(strings.Fields(s), " "), maxLen)
}

// MaxMessageBytes bounds an error message built from a server's answer, whatever its script or size; a
// diagnostic adds a sentence or two of its own and stays readable.
const MaxMessageBytes = 1800

// BoundMessage cuts msg at a character boundary so that, with the "…" that marks the cut, it holds at most
// MaxMessageBytes bytes.
func BoundMessage(msg string) string {
	if len(msg) <= MaxMessageBytes {
		return msg
	}
	cut := MaxMessageBytes - len("…")
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}
