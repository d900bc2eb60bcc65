package sellfern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// Scope is the token scope every webhooks call needs.
const Scope = "webhooks:manage"

// APIError is any error answer from Sellfern, whatever its body looked like.
type APIError struct {
	StatusCode int
	// Code and Message come from the error envelope, or from whatever JSON the server sent; either may be empty.
	Code    string
	Message string
	// Details is the error's details (remediation data, like {"required_scope": "webhooks:manage"}) as compact
	// JSON, redacted and escaped; RequiredScope is the scope they name. Either may be empty.
	Details       string
	RequiredScope string
	// RequestID is the answer's meta.request_id, which Sellfern's support can look up; it may be empty.
	RequestID string
	// WebhookID is the id the failed call was about, when there was one.
	WebhookID string
	// Detail describes a body that could not be decoded.
	Detail string
	// For a 404 to a call about one webhook: StillListed says the account's list holds it all the same, and
	// ListErr that the list which would have told failed.
	StillListed bool
	ListErr     error
	status      *transport.StatusError
}

// Unwrap exposes the raw HTTP answer.
func (e *APIError) Unwrap() error { return e.status }

// Error gives a message a person can act on; each documented status has its own.
func (e *APIError) Error() string { return transport.BoundMessage(e.message()) }

func (e *APIError) message() string {
	words := e.serverWords()
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return "Sellfern rejected the token (" + e.answer() + "): it is missing, invalid, expired or revoked" + words +
			". The provider needs a Sellfern API v2 token (sk_live_…, made in Sellfern's Settings → API Tokens) with " +
			"the " + Scope + " scope; a key of Sellfern's \"public V1\" API, sent as x-api-key, is not one"
	case e.StatusCode == http.StatusForbidden && e.Code == "missing_scope":
		scope := e.RequiredScope
		if scope == "" {
			scope = Scope
		}
		return "Sellfern refused the call (" + e.answer() + "): the token does not have the " + scope + " scope " +
			"that this call needs" + words + ". Issue a token with " + scope + " in Sellfern's Settings → API Tokens " +
			"and use it instead"
	case e.StatusCode == http.StatusForbidden:
		return "Sellfern refused the call (" + e.answer() + ")" + words
	case e.StatusCode == http.StatusNotFound && e.StillListed:
		return fmt.Sprintf("Sellfern answered %s with %s%s, yet its list of webhooks holds %q, so the "+
			"answer does not mean the webhook is gone and nothing was done: the base URL may point at something "+
			"other than Sellfern's API (a proxy or a maintenance page)", e.call(), e.withNote(), words, e.WebhookID)
	case e.StatusCode == http.StatusNotFound && e.ListErr != nil:
		return fmt.Sprintf("Sellfern answered %s with %s%s, and the list of webhooks that would show "+
			"whether %q is gone failed as well, so nothing is known of it: %v", e.call(), e.withNote(), words,
			e.WebhookID, e.ListErr)
	case e.StatusCode == http.StatusNotFound:
		return fmt.Sprintf("Sellfern answered %s with %s%s: the base URL does not serve Sellfern's "+
			"webhooks API there, so nothing is known of the webhooks, and none is taken to be gone",
			e.call(), e.withNote(), words)
	case e.StatusCode == http.StatusTooManyRequests:
		return fmt.Sprintf("Sellfern refused %s with %s (too many requests%s)%s, %s", e.call(), e.statusCode(),
			requestIDClause(e.RequestID), words, e.status.TooManyRequests("requests_per_second in the provider's sellfern block"))
	case e.StatusCode == http.StatusUnprocessableEntity && e.Code == codeIdempotencyConflict:
		return e.idempotencyConflict(words)
	case e.StatusCode == http.StatusBadRequest:
		return "Sellfern rejected the request as invalid (" + e.answer() + ")" + words
	default:
		return fmt.Sprintf("Sellfern API error (%s)%s", e.answer(), words)
	}
}

// The answer is named as a user quotes it to Sellfern's support, with its status, code and request id:
// answer() inside a message's parentheses, "HTTP 403 missing_scope, request id req_…"; withNote() after "with",
// "HTTP 404 not_found (request id req_…)".

func (e *APIError) statusCode() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d", e.StatusCode)
	}
	return fmt.Sprintf("HTTP %d %s", e.StatusCode, e.Code)
}

func (e *APIError) answer() string { return e.statusCode() + requestIDClause(e.RequestID) }

func (e *APIError) withNote() string { return e.statusCode() + transport.RequestIDNote(e.RequestID) }

// requestIDClause is ", request id req_…", or "" without one.
func requestIDClause(id string) string {
	if id == "" {
		return ""
	}
	return ", request id " + id
}

// call names the failed call, "GET /api/v2/webhooks" (with the base URL's own path, if any).
func (e *APIError) call() string {
	if e.status == nil {
		return "the call"
	}
	return e.status.Method + " " + e.status.Path
}

// serverWords is what the answer said beyond its status and code: its message (or, for a body nobody could read,
// what it was) and its details.
func (e *APIError) serverWords() string {
	var words string
	switch {
	case e.Message != "":
		words = ": " + e.Message
	case e.Detail != "":
		words = "; the response was " + e.Detail
	}
	if e.Details != "" {
		words += "; details: " + e.Details
	}
	return words
}

// NotFoundError says that a complete, successful list of the account's webhooks does not hold the id: the only
// evidence the client takes that a webhook does not exist. A 404 by itself is not (a proxy, a maintenance page or
// a base URL with a wrong path answer 404 too).
type NotFoundError struct{ ID string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("Sellfern has no webhook with id %q: the account's list of webhooks does not hold it", e.ID)
}

// IsNotFound reports whether err shows that a webhook does not exist: a complete list lacks it.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// IsNotServed reports whether err is a 404 to a call about the whole account (the list of webhooks): the base URL
// does not lead to Sellfern's API.
func IsNotServed(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound && ae.WebhookID == ""
}

// IsAuth reports whether err is a rejection of the token itself (401) or of its scope (403).
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden)
}

// asAPIError turns the transport's raw status error into an *APIError, reading the envelope Sellfern's developer
// guide ("Errors") gives every error, {"success": false, "error": {"code", "message", "details"?}, "meta":
// {"request_id"}}, or, failing that, any JSON with a recognisable code or message.
func asAPIError(err error) error {
	var se *transport.StatusError
	if !errors.As(err, &se) {
		return err
	}
	ae := &APIError{StatusCode: se.StatusCode, RequestID: se.RequestID, status: se}
	code, message := decodeErrorBody(se.Body)
	ae.Code, ae.Message = se.Text(code, maxCode), se.Text(message, maxMessage)
	ae.Details, ae.RequiredScope = errorDetails(se.Body, se.Text)
	if ae.Code == "" && ae.Message == "" {
		ae.Detail = transport.BodySnippet(se.Header, se.Body)
	}
	return ae
}

// Bounds on what a server's error text may add to a message.
const (
	maxCode    = 60
	maxMessage = 500
	maxDetails = 300
)

// errorDetails reads error.details of an error body: the details as compact JSON, and the scope they name
// ("required_scope"), each made fit for a message by text (secrets redacted, escaped, cut). Either is "" when
// the body has none.
func errorDetails(body []byte, text func(string, int) string) (details, scope string) {
	var env struct {
		Error struct {
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", ""
	}
	raw := bytes.TrimSpace(env.Error.Details)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		return "", ""
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) == nil {
		raw = compact.Bytes()
	}
	var named struct {
		RequiredScope string `json:"required_scope"`
	}
	_ = json.Unmarshal(raw, &named)
	return text(string(raw), maxDetails), text(named.RequiredScope, maxCode)
}

// requestID reads meta.request_id, the id Sellfern gives every answer, success or error: "always safe to log and
// share with Sellfern support" (developer guide "Errors").
func requestID(_ http.Header, body []byte) string {
	var env struct {
		Meta struct {
			RequestID json.RawMessage `json:"request_id"`
		} `json:"meta"`
	}
	if json.Unmarshal(body, &env) != nil {
		return ""
	}
	var id string
	_ = json.Unmarshal(env.Meta.RequestID, &id)
	return id
}

func decodeErrorBody(body []byte) (code, message string) {
	// Each field is decoded on its own (a RawMessage takes any JSON value), so that one of an unexpected type does
	// not hide the others; keys match case-insensitively, as encoding/json does for structs.
	var raw struct {
		Error, Code, Message, Detail json.RawMessage
		ErrorDescription             json.RawMessage `json:"error_description"`
	}
	if json.Unmarshal(body, &raw) != nil {
		return "", ""
	}
	text := func(v json.RawMessage) string {
		var s string
		_ = json.Unmarshal(v, &s)
		return s
	}
	// The envelope: "error" is an object.
	var nested struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw.Error, &nested) == nil && (nested.Code != "" || nested.Message != "") {
		return nested.Code, nested.Message
	}
	// Other shapes seen in the wild: {"error":"code","message":"…"}, {"code":…,"message":…}, {"detail":…}.
	code = text(raw.Error)
	if code == "" {
		code = text(raw.Code)
	}
	for _, v := range []json.RawMessage{raw.Message, raw.ErrorDescription, raw.Detail} {
		if message = text(v); message != "" {
			break
		}
	}
	return code, message
}

func withID(err error, id string) error {
	var ae *APIError
	if errors.As(err, &ae) {
		ae.WebhookID = id
	}
	return err
}

// codeIdempotencyConflict is Sellfern's answer to an Idempotency-Key used before with a different request.
const codeIdempotencyConflict = "idempotency_conflict"

// idempotencyConflict explains a 422 idempotency_conflict: Sellfern did nothing with the request. The provider makes
// a key for each operation and sends it with that operation's request alone, so something between it and Sellfern
// changed the request or its key.
func (e *APIError) idempotencyConflict(words string) string {
	key := ""
	if e.status != nil && e.status.IdempotencyKey != "" {
		key = " " + e.status.IdempotencyKey
	}
	return fmt.Sprintf("Sellfern refused %s with %s%s. Its Idempotency-Key%s had already "+
		"been used with a different request, so Sellfern did nothing with this one, and this call made nothing. The "+
		"provider makes a new key for every operation and sends it with that operation's request alone, so something "+
		"between the provider and Sellfern (a proxy) changed the request or its key; apply again", e.call(), e.withNote(),
		words, key)
}
