package transport

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
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
	redact     func(string) string
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
	msg := fmt.Sprintf("%s API answered %s %s with HTTP %d", e.Service, e.Method, e.Path, e.StatusCode)
	if snippet := BodySnippet(e.Header, e.Body); snippet != "" {
		msg += ": " + snippet
	}
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return msg
}

// NetworkError is a call that ended without an HTTP answer: connection failures, timeouts, an oversized or
// unreadable body, or cancellation.
type NetworkError struct {
	Service   string
	Method    string
	Path      string
	Attempts  int
	Cancelled bool
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

// DecodeError is a 2xx answer whose body could not be read as what the API documents. The call took effect;
// only its result is unknown.
type DecodeError struct {
	Service string
	Method  string
	Path    string
	Detail  string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("%s API answered %s %s with %s", e.Service, e.Method, e.Path, e.Detail)
}

// OutcomeUnknown reports whether a failed call might nevertheless have taken effect on the server: no answer came
// back, or the answer was a server-side failure or throttling that may have come after the work was done. A
// definite client error (400, 401, 403, 404, 409, 422…) means nothing was changed.
func OutcomeUnknown(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 500 || se.StatusCode == http.StatusTooManyRequests || se.StatusCode == http.StatusRequestTimeout
	}
	// Without an answer, even a cancelled call may have been carried out by the server; with an unreadable
	// success it certainly was, but what it made is unknown.
	var ne *NetworkError
	var de *DecodeError
	return errors.As(err, &ne) || errors.As(err, &de)
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
	text := CleanText(string(body), 200)
	return fmt.Sprintf("%q", text)
}

// CleanText makes text a server sent fit for an error message: unprintable characters and invalid UTF-8 become
// spaces, runs of white space one space, and it is cut to at most maxLen runes.
func CleanText(s string, maxLen int) string {
	s = strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	s = strings.Join(strings.Fields(s), " ")
	if runes := []rune(s); len(runes) > maxLen {
		s = string(runes[:maxLen]) + "…"
	}
	return s
}

// MaxMessageBytes bounds an error message built from a server's answer, whatever its script or size.
const MaxMessageBytes = 1800

// BoundMessage cuts msg to MaxMessageBytes at a character boundary.
func BoundMessage(msg string) string {
	if len(msg) <= MaxMessageBytes {
		return msg
	}
	cut := MaxMessageBytes
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}
