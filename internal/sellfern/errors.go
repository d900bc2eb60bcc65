package sellfern

import (
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
	// WebhookID is the id the failed call was about, when there was one.
	WebhookID string
	// Detail describes a body that could not be decoded.
	Detail string
	status *transport.StatusError
}

// Unwrap exposes the raw HTTP answer.
func (e *APIError) Unwrap() error { return e.status }

// Error gives a message a person can act on; each documented status has its own.
func (e *APIError) Error() string { return transport.BoundMessage(e.message()) }

func (e *APIError) message() string {
	said := e.said()
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return "Sellfern rejected the token (HTTP 401" + codeSuffix(e.Code) + "): it is invalid or has been revoked" + said
	case e.StatusCode == http.StatusForbidden && e.Code == "missing_scope":
		return "Sellfern refused the call (HTTP 403 missing_scope): the token does not have the " + Scope +
			" scope that every webhook call needs; issue a token with " + Scope + said
	case e.StatusCode == http.StatusForbidden:
		return "Sellfern refused the call (HTTP 403" + codeSuffix(e.Code) + ")" + said
	case e.StatusCode == http.StatusNotFound && e.WebhookID != "":
		return fmt.Sprintf("Sellfern has no webhook with id %q (HTTP 404%s)", e.WebhookID, codeSuffix(e.Code))
	case e.StatusCode == http.StatusNotFound:
		return "Sellfern answered HTTP 404" + codeSuffix(e.Code) + said
	case e.StatusCode == http.StatusBadRequest:
		return "Sellfern rejected the request as invalid (HTTP 400" + codeSuffix(e.Code) + ")" + said
	default:
		return fmt.Sprintf("Sellfern API error (HTTP %d%s)%s", e.StatusCode, codeSuffix(e.Code), said)
	}
}

func (e *APIError) said() string {
	switch {
	case e.Message != "":
		return ": " + e.Message
	case e.Detail != "":
		return "; the response was " + e.Detail
	}
	return ""
}

func codeSuffix(code string) string {
	if code == "" {
		return ""
	}
	return " " + code
}

// IsNotFound reports whether err is Sellfern's answer that a webhook does not exist.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// IsAuth reports whether err is a rejection of the token itself (401) or of its scope (403).
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden)
}

func notFound(id string) error {
	return &APIError{StatusCode: http.StatusNotFound, Code: "not_found", WebhookID: id}
}

// asAPIError turns the transport's raw status error into an *APIError, reading the envelope
// {"success":false,"error":{"code","message"}} or, failing that, any JSON with a recognisable code or message.
// Sellfern's documents show no error body: that envelope is the shape of its success answers, taken for its errors
// too (internal/mockserver/README.md records the decision).
func asAPIError(err error) error {
	var se *transport.StatusError
	if !errors.As(err, &se) {
		return err
	}
	ae := &APIError{StatusCode: se.StatusCode, status: se}
	code, message := decodeErrorBody(se.Body)
	ae.Code, ae.Message = se.Text(code, maxCode), se.Text(message, maxMessage)
	if ae.Code == "" && ae.Message == "" {
		ae.Detail = transport.BodySnippet(se.Header, se.Body)
	}
	return ae
}

// Bounds on what a server's error text may add to a message.
const (
	maxCode    = 60
	maxMessage = 500
)

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
