// Package sellfern is a client for Sellfern's webhooks API v2. It is plain Go: typed requests, responses and
// errors, with HTTP concerns delegated to the shared transport. It knows nothing of Terraform.
package sellfern

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/safetext"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
	"github.com/seed/terraform-provider-webhooks/internal/webhookurl"
)

// signingSecret matches a webhook signing secret: one must never be quoted from a server's answer in an error.
var signingSecret = regexp.MustCompile(`whsec_[A-Za-z0-9_-]+`)

// DefaultBaseURL is Sellfern's production API.
const DefaultBaseURL = "https://api.sellfern.com"

// Events is the documented set of event names, in the documents' order.
var Events = []string{
	"order.created",
	"order.updated",
	"order.status_changed",
	"order.fulfillment.shipped",
	"order.fulfillment.delivered",
	"expense.created",
	"ticket.created",
	"ticket.updated",
}

// Webhook is one registered endpoint. Secret is only ever set in the answer to a create. CreatedAt is the time as
// Sellfern wrote it (kept as written, for state); Created is the same time parsed, for comparing and sorting.
type Webhook struct {
	ID        string
	URL       string
	Events    []string
	Enabled   bool
	Secret    string
	CreatedAt string
	Created   time.Time
}

// Delivery is one attempt to deliver an event to an endpoint. The documents name only "the HTTP response code and
// any error details"; the other fields are what the mock and, we expect, the service return.
type Delivery struct {
	ID         string `json:"id"`
	WebhookID  string `json:"webhook_id"`
	Event      string `json:"event"`
	StatusCode int    `json:"status_code"`
	Success    bool   `json:"success"`
	Error      string `json:"error"`
	CreatedAt  string `json:"created_at"`
}

// CreateRequest is what the documented create takes.
type CreateRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// UpdateRequest changes the fields that are set; Events replaces the whole list.
type UpdateRequest struct {
	URL     *string  `json:"url,omitempty"`
	Events  []string `json:"events,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"`
}

// Config configures a Client: its credential, and the transport settings (an empty BaseURL means DefaultBaseURL).
type Config struct {
	Token string
	transport.Settings
}

// Client talks to one Sellfern account.
type Client struct {
	http      *transport.Client
	inventory *inventory.Store[Webhook]
}

// New returns a Client, refusing a base URL that would send the token in clear text.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	t, err := transport.New(transport.Config{
		Settings:       cfg.Settings,
		Service:        "Sellfern",
		AuthHeader:     "Authorization",
		AuthValue:      "Bearer " + cfg.Token,
		Secrets:        []string{cfg.Token},
		SecretPatterns: []*regexp.Regexp{signingSecret},
		RequestID:      requestID,
	})
	if err != nil {
		return nil, err
	}
	c := &Client{http: t}
	c.inventory = inventory.New(c.listWebhooks, func(w Webhook) string { return w.ID }, cloneWebhook)
	return c, nil
}

func cloneWebhook(w Webhook) Webhook {
	w.Events = slices.Clone(w.Events)
	return w
}

// call sends one request and reads Sellfern's envelope {"success": true, "data": …}: the data, or nil when the
// body or its data is absent or null (whether that is allowed is the caller's to say). An answer whose "success"
// is not true is an error that names the call, the status and the body's own code and message, whatever the
// status: a 200 that says it failed has not done what was asked. sensitive keeps an unreadable body out of the
// error (a create's answer holds the signing secret).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body any, sensitive bool) (json.RawMessage, *transport.Response, error) {
	return c.callKeyed(ctx, "", method, path, query, body, sensitive)
}

// callKeyed is call with an Idempotency-Key ("" for none) on every attempt.
func (c *Client) callKeyed(ctx context.Context, key, method, path string, query url.Values, body any, sensitive bool) (json.RawMessage, *transport.Response, error) {
	resp, err := c.http.DoKeyed(ctx, key, method, path, query, body)
	if err != nil {
		return nil, nil, asAPIError(err)
	}
	env, err := readEnvelope(resp, sensitive)
	if err != nil || env == nil {
		return nil, resp, err
	}
	if env.Success == nil || !*env.Success {
		detail := `"success" is missing`
		if env.Success != nil {
			detail = `"success" is false`
		}
		if code, message := failureOf(resp); code != "" || message != "" {
			detail += " (" + strings.Trim(code+": "+message, ": ") + ")"
		}
		return nil, resp, resp.NotAsPromised(detail + ", so the call did not do what was asked")
	}
	if string(env.Data) == "null" {
		return nil, resp, nil
	}
	return env.Data, resp, nil
}

// envelope is Sellfern's answer: {"success": …, "data": …}. A nil Success was absent.
type envelope struct {
	Success *bool           `json:"success"`
	Data    json.RawMessage `json:"data"`
}

// readEnvelope reads the envelope of a 2xx answer, or returns nil for an empty body. sensitive keeps an unreadable
// body out of the error.
func readEnvelope(resp *transport.Response, sensitive bool) (*envelope, error) {
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		return nil, nil
	}
	decode := resp.Decode
	if sensitive {
		decode = resp.DecodeSensitive
	}
	var env envelope
	if err := decode(&env); err != nil {
		return nil, err
	}
	return &env, nil
}

// failureOf is the code and message a 2xx answer that says it failed gives for it, fit for a message; the
// message ends with the error's details, when it has some.
func failureOf(resp *transport.Response) (code, message string) {
	code, message = decodeErrorBody(resp.Body)
	code, message = resp.Text(code, maxCode), resp.Text(message, maxMessage)
	if details, _ := errorDetails(resp.Body, resp.Text); details != "" {
		message = strings.TrimPrefix(message+"; details: "+details, "; ")
	}
	return code, message
}

// decodeData reads an envelope's data into v, which the call promises to be a JSON value opening with open ('['
// for a list, '{' for an object); what is a JSON value of another kind, or absent, is an error naming what was due.
func decodeData(resp *transport.Response, data json.RawMessage, open byte, v any, what string) error {
	switch {
	case data == nil:
		return resp.NotAsPromised(fmt.Sprintf(`no "data" (it is absent or null), where %s belongs`, what))
	case data[0] != open || json.Unmarshal(data, v) != nil:
		return resp.NotAsPromised(fmt.Sprintf(`"data" that is not %s: %s`, what, resp.Snippet(data)))
	}
	return nil
}

// decodeList reads a list call's data into v: all of the list, never one page of it. An answer that says more
// follows is an error, since the documents describe no pages and a partial list taken for all of it would read
// the missing webhooks as deleted (and create them again).
func decodeList(resp *transport.Response, data json.RawMessage, v any, what string) error {
	if how := resp.Incomplete(transport.Entries(data)); how != "" {
		return resp.NotAsPromised(fmt.Sprintf("only part of %s: the answer says more follows (%s), and the provider does "+
			"not follow pages, which Sellfern's API does not document, since a partial list read as complete would "+
			"delete or duplicate webhooks", what, how))
	}
	return decodeData(resp, data, '[', v, what)
}

// confirmGone decides what a 404 to a call about webhook id means: a *NotFoundError when a complete list of the
// account's webhooks lacks it, else the *APIError saying that the list holds it or could not be read.
func (c *Client) confirmGone(ctx context.Context, err error, id string) error {
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		return err
	}
	ae.WebhookID = id
	absent, lerr := c.inventory.Absent(ctx, id)
	switch {
	case lerr != nil:
		ae.ListErr = lerr
	case absent:
		return &NotFoundError{ID: id}
	default:
		ae.StillListed = true
	}
	return ae
}

// CheckID says what is wrong with a webhook id, or returns nil. An id is what Sellfern assigned (like wh_abc123):
// never blank, without white space, control or format characters (which a terminal would act on or hide: even a
// zero-width joiner, which names may hold, makes "wh_evil" and another id look alike), and usable as one segment
// of a request path, so never "." or ".." and without "/". The same rule holds for an id a user gives and one
// Sellfern lists.
func CheckID(id string) error {
	if strings.TrimSpace(id) == "" || strings.IndexFunc(id, unicode.IsSpace) >= 0 || safetext.Unsafe(id) ||
		strings.IndexFunc(id, isFormat) >= 0 || transport.CheckSegment(id) != nil {
		return fmt.Errorf("%q is not a Sellfern webhook id: an id is what Sellfern assigned, like wh_abc123, "+
			"without white space, control or format characters, \"/\", or a \".\" or \"..\" alone", id)
	}
	return nil
}

// isFormat reports whether r is a Unicode format character (zero-width and bidirectional controls among them).
func isFormat(r rune) bool { return unicode.Is(unicode.Cf, r) }

// webhookPath is the path of one webhook, with its id escaped as one segment, and more segments after it.
func webhookPath(id string, more ...string) (string, error) {
	if err := CheckID(id); err != nil {
		return "", fmt.Errorf("the webhook id cannot be used in a request: %w", err)
	}
	seg, err := transport.Segment(id)
	if err != nil {
		return "", fmt.Errorf("the Sellfern webhook id %q cannot be used in a request: %w", id, err)
	}
	return strings.Join(append([]string{"api/v2/webhooks", seg}, more...), "/"), nil
}

// wireWebhook is a webhook as Sellfern sends it; a nil field was absent (or null).
type wireWebhook struct {
	ID        *string   `json:"id"`
	URL       *string   `json:"url"`
	Events    *[]string `json:"events"`
	Enabled   *bool     `json:"enabled"`
	Secret    *string   `json:"secret"`
	CreatedAt *string   `json:"created_at"`
}

// webhook checks that every field in required was sent, and reads them. It returns what is wrong, naming the
// field, or "".
func (w wireWebhook) webhook(required ...string) (Webhook, string) {
	present := map[string]bool{"id": w.ID != nil, "url": w.URL != nil, "events": w.Events != nil,
		"enabled": w.Enabled != nil, "secret": w.Secret != nil, "created_at": w.CreatedAt != nil}
	for _, field := range required {
		if !present[field] {
			return Webhook{}, fmt.Sprintf("no %q", field)
		}
	}
	var out Webhook
	if w.ID != nil {
		out.ID = *w.ID
		if err := CheckID(out.ID); err != nil {
			return Webhook{}, fmt.Sprintf("an id that cannot be used (%s)", err)
		}
	}
	if w.URL != nil {
		out.URL = *w.URL
	}
	if w.Events != nil {
		out.Events = slices.Clone(*w.Events)
	}
	if w.Enabled != nil {
		out.Enabled = *w.Enabled
	}
	if w.Secret != nil {
		out.Secret = *w.Secret
	}
	if w.CreatedAt != nil {
		created, err := time.Parse(time.RFC3339, *w.CreatedAt)
		if err != nil {
			return Webhook{}, fmt.Sprintf(`a "created_at" that is not an RFC 3339 time ("%s")`, transport.CleanText(*w.CreatedAt, 40))
		}
		out.CreatedAt, out.Created = *w.CreatedAt, created
	}
	return out, ""
}

// listFields are what the documents show for each listed webhook; every one is needed to know its state.
var listFields = []string{"id", "url", "events", "enabled", "created_at"}

// ListWebhooks returns every webhook of the account, without secrets. Reads during one Terraform operation share
// one list; any write through this Client makes the next read list again.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	return c.inventory.List(ctx)
}

func (c *Client) listWebhooks(ctx context.Context) ([]Webhook, error) {
	data, resp, err := c.call(ctx, http.MethodGet, "api/v2/webhooks", nil, nil, false)
	if err != nil {
		return nil, err
	}
	var wire []wireWebhook
	if err := decodeList(resp, data, &wire, "the list of webhooks"); err != nil {
		return nil, err
	}
	out := make([]Webhook, len(wire))
	for i, w := range wire {
		var problem string
		if out[i], problem = w.webhook(listFields...); problem != "" {
			return nil, resp.NotAsPromised(fmt.Sprintf("webhook %d of the list has %s", i+1, problem))
		}
	}
	return out, nil
}

// GetWebhook finds one webhook in the list (the API has no read by id). A missing id gives a *NotFoundError; a
// list that fails gives its error, never "not found".
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	w, ok, err := c.inventory.Find(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &NotFoundError{ID: id}
	}
	return &w, nil
}

// Created is a webhook a create made, with its secret, and what the create saw around it (inventory.Around):
// Identical, the identical webhooks (same URL and events) the account already held that this process neither
// made nor deleted; when InDoubt (some request's outcome was unknown), Appeared, the identical webhooks that
// appeared while it was in doubt, and Beside, the ids of every identical webhook there when it ended (CheckErr
// when the list that would say failed). Key is the Idempotency-Key its requests carried. (Adopted is never set:
// a keyed create adopts nothing.)
type Created struct {
	Webhook
	Key string
	inventory.Around[Webhook]
}

// CreateWebhook makes exactly one webhook and returns it with its secret. Every request of the create carries one
// Idempotency-Key, made for it alone: when an answer is lost (a timeout, a dropped connection, a 5xx, an answer
// without the webhook), the request is sent again with the key, and Sellfern answers with the webhook the first
// request made, or makes it now; see inventory.CreateOnce (createKeyed) for why each case is safe. No webhook is
// deleted or taken because of when it appeared. A webhook an interrupted create made and could not delete is
// returned with the error.
func (c *Client) CreateWebhook(ctx context.Context, req CreateRequest) (*Created, error) {
	wantEvents := sortedCopy(req.Events)
	key := transport.NewIdempotencyKey("create")
	made, err := c.inventory.CreateOnce(ctx, inventory.Create[Webhook]{
		Fingerprint: webhookurl.Canonical(req.URL) + "\x00" + fmt.Sprint(wantEvents),
		Describe:    "Sellfern webhook for " + req.URL,
		Key:         key,
		Do: func(ctx context.Context) (Webhook, error) {
			data, resp, err := c.callKeyed(ctx, key, http.MethodPost, "api/v2/webhooks", nil, req, true)
			if err != nil {
				return Webhook{}, err
			}
			// Created, as the status says, but without the id to know it by or the secret it is shown with: as good
			// as a lost answer, which a re-send with the key replays.
			var wire wireWebhook
			if data == nil || data[0] != '{' || json.Unmarshal(data, &wire) != nil {
				return Webhook{}, resp.NotAsPromised(`no webhook in "data" (the body is not shown: it may hold a secret)`)
			}
			made, problem := wire.webhook("id", "secret", "created_at")
			if problem != "" {
				return Webhook{}, resp.NotAsPromised("the webhook in \"data\" has " + problem)
			}
			// The documented answer repeats these; the request says what they are when it does not.
			if wire.URL == nil {
				made.URL = req.URL
			}
			if wire.Events == nil {
				made.Events = slices.Clone(req.Events)
			}
			if wire.Enabled == nil {
				made.Enabled = true
			}
			return made, nil
		},
		Matches: func(w Webhook) bool { return identical(w, req.URL, wantEvents) },
		Delete:  func(ctx context.Context, w Webhook) error { return c.DeleteWebhook(ctx, w.ID) },
		Policy:  c.http,
	})
	if err != nil {
		if inventory.IsOrphan(err) {
			return &Created{Webhook: made.Item, Key: key}, err
		}
		return nil, err
	}
	return &Created{Webhook: made.Item, Key: key, Around: made.Around}, nil
}

// identical reports whether w has the URL (as webhookurl compares them) and the events (sorted) of another.
func identical(w Webhook, url string, sortedEvents []string) bool {
	return webhookurl.Equal(w.URL, url) && slices.Equal(sortedCopy(w.Events), sortedEvents)
}

// IdenticalTo returns the account's webhooks identical to w (same URL and events), w itself excepted, from the
// shared list.
func (c *Client) IdenticalTo(ctx context.Context, w Webhook) ([]Webhook, error) {
	want := sortedCopy(w.Events)
	return c.inventory.Others(ctx, w.ID, func(o Webhook) bool { return identical(o, w.URL, want) })
}

// Arrival is a webhook identical to one a create in doubt made, which a list of this process showed after that
// create ended: a create the service stored late, or another configuration's (see inventory.Arrival).
type Arrival = inventory.Arrival[Webhook]

// Arrivals returns the arrivals found since the last call, each once.
func (c *Client) Arrivals() []Arrival { return c.inventory.Arrivals() }

// UpdateWebhook patches a webhook. The documents show no answer body; an empty one, or an envelope without data,
// is success. An answer that names another webhook, or says it failed, is an error; so is a 404, a
// *NotFoundError when a complete list confirms that the webhook is gone.
func (c *Client) UpdateWebhook(ctx context.Context, id string, req UpdateRequest) error {
	path, err := webhookPath(id)
	if err != nil {
		return err
	}
	// One key for the update: the transport's retries of the PATCH re-send it.
	data, resp, err := c.callKeyed(ctx, transport.NewIdempotencyKey("update"), http.MethodPatch, path, nil, req, false)
	if err != nil {
		return c.confirmGone(ctx, withID(err, id), id)
	}
	defer c.inventory.Invalidate()
	if data == nil {
		return nil
	}
	var wire wireWebhook
	if err := decodeData(resp, data, '{', &wire, "the updated webhook"); err != nil {
		return err
	}
	if wire.ID == nil || *wire.ID != id {
		return resp.NotAsPromised(fmt.Sprintf(`"data" that is not webhook %q`, id))
	}
	return nil
}

// DeleteWebhook deletes a webhook, repeating its id in confirm as the API demands. A 404 counts as done only when
// a complete list confirms that the webhook is gone (the list is shared, so many such deletes cost one list);
// otherwise it is an error saying that the list still holds the webhook, or could not be read.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	path, err := webhookPath(id)
	if err != nil {
		return err
	}
	_, _, err = c.call(ctx, http.MethodDelete, path, url.Values{"confirm": {id}}, nil, false)
	if err == nil {
		c.inventory.Deleted(id)
		return nil
	}
	if err = c.confirmGone(ctx, withID(err, id), id); IsNotFound(err) {
		return nil
	}
	// A failed delete may still have happened: the next read lists again.
	c.inventory.Invalidate()
	return err
}

// TestResult is Sellfern's answer to a test call, as it came. The documents do not show that answer. The client
// reads it as the envelope every other call answers with, whose data, when present, is the delivery the test made:
// {"success": true, "data": {"id": "dl_…", "status_code": 200, "error": "", …}}. An empty body, or an envelope
// without data, is an answer that names no delivery; whether the test worked is then for the caller to find out.
type TestResult struct {
	// HTTPStatus is the status of the answer, always 2xx: any other answer is an error.
	HTTPStatus int
	// Refused is true when the answer says "success": false; Code and Message then hold its error, if it gives one.
	Refused bool
	Code    string
	Message string
	// Delivery is the delivery the answer names, or nil when it names none.
	Delivery *Delivery
}

// SendTest asks Sellfern to send a test event to the endpoint. It carries an Idempotency-Key of its own, and is
// sent once and never repeated (the transport retries no POST), although a repeat with the key would only replay
// Sellfern's answer where Sellfern honours the key: a service that ignored it would send a second event, and an
// action's promise is one event per invocation. A 429, which did nothing, is sent again with the same key while
// the call's bound allows. When the outcome is unknown (no answer, a 5xx, an answer that is not the documented
// envelope), the error says that the call was not repeated.
func (c *Client) SendTest(ctx context.Context, id string) (*TestResult, error) {
	path, err := webhookPath(id, "test")
	if err != nil {
		return nil, err
	}
	resp, err := c.http.DoKeyed(ctx, transport.NewIdempotencyKey("test"), http.MethodPost, path, nil, nil)
	if err != nil {
		return nil, notRepeated(c.confirmGone(ctx, withID(asAPIError(err), id), id))
	}
	result := &TestResult{HTTPStatus: resp.StatusCode}
	out, err := readEnvelope(resp, false)
	switch {
	case err != nil:
		return nil, notRepeated(err)
	case out == nil:
		return result, nil
	case out.Success == nil:
		return nil, notRepeated(resp.NotAsPromised(`"success" is missing, so whether the test was sent is unknown`))
	case !*out.Success:
		result.Refused = true
		result.Code, result.Message = failureOf(resp)
	}
	if out.Data == nil || string(out.Data) == "null" {
		return result, nil
	}
	var d Delivery
	if err := decodeData(resp, out.Data, '{', &d, "a delivery"); err != nil {
		return nil, notRepeated(err)
	}
	if d.ID != "" || d.StatusCode != 0 || d.Error != "" {
		result.Delivery = c.cleanDelivery(d)
	}
	return result, nil
}

// ListDeliveries returns the recent deliveries to an endpoint.
func (c *Client) ListDeliveries(ctx context.Context, id string) ([]Delivery, error) {
	path, err := webhookPath(id, "deliveries")
	if err != nil {
		return nil, err
	}
	data, resp, err := c.call(ctx, http.MethodGet, path, nil, nil, false)
	if err != nil {
		return nil, c.confirmGone(ctx, withID(err, id), id)
	}
	var out []Delivery
	if err := decodeList(resp, data, &out, "the list of deliveries"); err != nil {
		return nil, err
	}
	for i, d := range out {
		out[i] = *c.cleanDelivery(d)
	}
	return out, nil
}

// OldestFirst orders webhooks by when they were made, then by id, whatever order the API answered in. It compares
// the parsed times: written times sort wrongly as strings once fractions of a second or offsets appear.
func OldestFirst(a, b Webhook) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// cleanDelivery redacts the error text of a delivery: it is the endpoint's own words, which may quote the request
// it was sent, and so its signing secret.
func (c *Client) cleanDelivery(d Delivery) *Delivery {
	d.Error = c.http.Redact(d.Error)
	return &d
}

// notRepeatedError is a test call whose outcome is unknown: Sellfern may have sent the event already. (A 429 is
// not one: Sellfern did nothing, and the transport sent the call again for as long as its bound allowed.)
type notRepeatedError struct{ err error }

func (e *notRepeatedError) Error() string {
	return e.err.Error() + "; the test call was not repeated: Sellfern may have sent the test event already, " +
		"and a repeat would send it twice"
}

func (e *notRepeatedError) Unwrap() error { return e.err }

// notRepeated says of a failed test call whose outcome is unknown that it was not tried again; a definite refusal
// (401, 403, 404, 400 …) sent nothing, so it is returned as it is.
func notRepeated(err error) error {
	if !transport.OutcomeUnknown(err) {
		return err
	}
	return &notRepeatedError{err: err}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// Settings are a client's transport settings besides its credential (both services' clients take the same).
type Settings = transport.Settings

// Paces makes the clients of one account (service, base URL and credential) share one pace; both services'
// clients take the same registry, in Settings.Paces.
type Paces = transport.Paces

// NewPaces returns a registry whose paces live in this process.
func NewPaces() *Paces { return transport.NewPaces() }

// NewSharedPaces returns a registry whose paces are shared with the user's other provider processes on the
// machine (the blocks of a run, and runs working at once), through small files in the user's cache directory.
func NewSharedPaces() *Paces { return transport.NewSharedPaces("") }

// CheckBaseURL applies the rule for a base URL: https, or plain http to a loopback host only, so that the
// credential never crosses a network in clear text.
func CheckBaseURL(raw string) error {
	_, err := transport.CheckBaseURL(raw)
	return err
}
