package selsup

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// APIError is any error answer from SelSup. The documents give three bodies: 400 {error, localMessage, params},
// 403 {error}, 500 {error, message, system}; anything else still yields a status and a description.
type APIError struct {
	StatusCode int
	Code       string
	// LocalMessage is in the user's language (often Russian) and is shown as it came, UTF-8 intact.
	LocalMessage string
	Message      string
	System       string
	Params       map[string]any
	WebhookID    int64
	Detail       string
	// For a 404 to a call about one webhook: StillListed says the account's list holds it all the same, and
	// ListErr that the list which would have told failed.
	StillListed bool
	ListErr     error
	status      *transport.StatusError
}

// Unwrap exposes the raw HTTP answer.
func (e *APIError) Unwrap() error { return e.status }

func (e *APIError) Error() string { return transport.BoundMessage(e.message()) }

func (e *APIError) message() string {
	head := fmt.Sprintf("SelSup API error (HTTP %d%s)", e.StatusCode, suffix(e.Code))
	switch e.StatusCode {
	case http.StatusForbidden:
		head = fmt.Sprintf("SelSup refused the API key (HTTP 403%s): it is wrong, revoked, or not allowed to manage webhooks", suffix(e.Code))
	case http.StatusBadRequest:
		head = fmt.Sprintf("SelSup rejected the request as invalid (HTTP 400%s)", suffix(e.Code))
	case http.StatusNotFound:
		head = fmt.Sprintf("SelSup answered %s with HTTP 404%s", e.call(), suffix(e.Code))
		switch {
		case e.StillListed:
			return fmt.Sprintf("%s%s, yet its list of webhooks holds %d, so the answer does not mean the webhook "+
				"is gone and nothing was done: the base URL may point at something other than SelSup's API (a "+
				"proxy or a maintenance page)", head, e.wordsSuffix(), e.WebhookID)
		case e.ListErr != nil:
			return fmt.Sprintf("%s%s, and the list of webhooks that would show whether %d is gone failed as "+
				"well, so nothing is known of it: %v", head, e.wordsSuffix(), e.WebhookID, e.ListErr)
		}
		return head + e.wordsSuffix() + ": the base URL does not serve SelSup's webhooks API there, so nothing is " +
			"known of the webhooks, and none is taken to be gone"
	case http.StatusTooManyRequests:
		return fmt.Sprintf("SelSup refused %s with HTTP 429%s (too many requests)%s, %s", e.call(), suffix(e.Code),
			e.wordsSuffix(), e.status.TooManyRequests("requests_per_second in the provider's selsup block"))
	}
	parts := e.serverWords()
	if parts == "" && e.Detail != "" {
		return head + "; the response was " + e.Detail
	}
	if parts == "" {
		return head
	}
	return head + ": " + parts
}

// wordsSuffix is serverWords, after ": ", or "".
func (e *APIError) wordsSuffix() string {
	if parts := e.serverWords(); parts != "" {
		return ": " + parts
	}
	if e.Detail != "" {
		return "; the response was " + e.Detail
	}
	return ""
}

// call names the failed call, "DELETE /api/webhook/1042" (with the base URL's own path, if any).
func (e *APIError) call() string {
	if e.status == nil {
		return "the call"
	}
	return e.status.Method + " " + e.status.Path
}

// serverWords is what the service's error body said, beyond its code.
func (e *APIError) serverWords() string {
	var parts []string
	for _, s := range []string{e.LocalMessage, e.Message} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if e.System != "" {
		parts = append(parts, "system: "+e.System)
	}
	if len(e.Params) > 0 {
		parts = append(parts, "params: "+e.formatParams())
	}
	return strings.Join(parts, "; ")
}

func suffix(code string) string {
	if code == "" {
		return ""
	}
	return " " + code
}

func (e *APIError) formatParams() string {
	p := e.Params
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == maxParams {
			fmt.Fprintf(&b, "… (%d more)", len(keys)-maxParams)
			break
		}
		fmt.Fprintf(&b, "%s=%v", e.text(k, 30), e.text(fmt.Sprint(p[k]), 60))
	}
	return b.String()
}

// text makes server text fit for the message; an error without an answer has nothing to redact for.
func (e *APIError) text(s string, maxLen int) string {
	if e.status != nil {
		return e.status.Text(s, maxLen)
	}
	return transport.CleanText(s, maxLen)
}

// NotFoundError says that a complete, successful list of the account's webhooks does not hold the id: the only
// evidence the client takes that a webhook does not exist. A 404 by itself is not.
type NotFoundError struct{ ID int64 }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("SelSup has no webhook with id %d: the account's list of webhooks does not hold it", e.ID)
}

// IsNotFound reports whether err shows that a webhook does not exist: a complete list lacks it.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// IsNotServed reports whether err is a 404 to a call about the whole account (the list of webhooks): the base URL
// does not lead to SelSup's API.
func IsNotServed(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound && ae.WebhookID == 0
}

// IsAuth reports whether err is a rejection of the API key: SelSup documents 403 for it (and nothing for 401).
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusForbidden
}

// Bounds on what a server's error text may add to a message.
const (
	maxCode         = 60
	maxLocalMessage = 300
	maxMessage      = 150
	maxSystem       = 100
	maxParams       = 5
)

func asAPIError(err error) error {
	var se *transport.StatusError
	if !errors.As(err, &se) {
		return err
	}
	ae, _ := readErrorBody(se.Body, se.Text)
	ae.StatusCode, ae.status = se.StatusCode, se
	if ae.Code == "" && ae.LocalMessage == "" && ae.Message == "" {
		ae.Detail = transport.BodySnippet(se.Header, se.Body)
	}
	return ae
}

// readErrorBody reads the documented error fields of body, each on its own, so that one of an unexpected type
// (say "params": 1) does not cost the user the code and localMessage beside it; text makes each fit for a message.
// ok reports whether the body said anything: a code or a message.
func readErrorBody(body []byte, text func(string, int) string) (ae *APIError, ok bool) {
	ae = &APIError{}
	var fields struct {
		Error, LocalMessage, Message, System, Params json.RawMessage
	}
	if json.Unmarshal(body, &fields) != nil {
		return ae, false
	}
	str := func(raw json.RawMessage) string {
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	}
	code, message := str(fields.Error), str(fields.Message)
	if code == "" {
		// Not the documented string: perhaps {"error": {"code": …, "message": …}}.
		var nested struct{ Code, Message json.RawMessage }
		if json.Unmarshal(fields.Error, &nested) == nil {
			code = str(nested.Code)
			if message == "" {
				message = str(nested.Message)
			}
		}
	}
	ae.Code = text(code, maxCode)
	ae.LocalMessage = text(str(fields.LocalMessage), maxLocalMessage)
	ae.Message = text(message, maxMessage)
	ae.System = text(str(fields.System), maxSystem)
	_ = json.Unmarshal(fields.Params, &ae.Params) // only an object is shown
	return ae, ae.Code != "" || ae.LocalMessage != "" || ae.Message != ""
}

// decodeErrorFields summarises an error body that came with a 2xx ("CODE: message"), and reports whether body is
// one.
func decodeErrorFields(body []byte, text func(string, int) string) (string, bool) {
	ae, ok := readErrorBody(body, text)
	if !ok {
		return "", false
	}
	return strings.TrimPrefix(strings.Trim(ae.Code+": "+ae.serverWords(), ": "), ": "), true
}
