// Package sellfern is a client for Sellfern's webhooks API v2. It is plain Go: typed requests, responses and
// errors, with HTTP concerns delegated to the shared transport. It knows nothing of Terraform.
package sellfern

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
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

// Webhook is one registered endpoint. Secret is only ever set in the answer to a create.
type Webhook struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Enabled   bool     `json:"enabled"`
	Secret    string   `json:"secret,omitempty"`
	CreatedAt string   `json:"created_at"`
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

// Config configures a Client. Zero durations and retries take the transport's defaults.
type Config struct {
	BaseURL        string
	Token          string
	UserAgent      string
	MaxRetries     int
	RequestTimeout time.Duration
	HTTPClient     *http.Client
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
		Service:        "Sellfern",
		BaseURL:        cfg.BaseURL,
		AuthHeader:     "Authorization",
		AuthValue:      "Bearer " + cfg.Token,
		Secrets:        []string{cfg.Token},
		SecretPatterns: []*regexp.Regexp{signingSecret},
		UserAgent:      cfg.UserAgent,
		MaxRetries:     cfg.MaxRetries,
		RequestTimeout: cfg.RequestTimeout,
		HTTPClient:     cfg.HTTPClient,
	})
	if err != nil {
		return nil, err
	}
	c := &Client{http: t}
	c.inventory = inventory.New(c.listWebhooks, func(w Webhook) string { return w.ID }, inventory.DefaultTTL)
	return c, nil
}

type envelope[T any] struct {
	Success bool `json:"success"`
	Data    T    `json:"data"`
}

func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := c.http.Do(ctx, method, path, query, body)
	if err != nil {
		return asAPIError(err)
	}
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	return resp.Decode(out)
}

func webhookPath(id string) string { return "api/v2/webhooks/" + url.PathEscape(id) }

// ListWebhooks returns every webhook of the account, without secrets. Reads during one Terraform operation share
// one list; any write through this Client makes the next read list again.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	return c.inventory.List(ctx)
}

func (c *Client) listWebhooks(ctx context.Context) ([]Webhook, error) {
	var out envelope[[]Webhook]
	if err := c.call(ctx, http.MethodGet, "api/v2/webhooks", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// GetWebhook finds one webhook in the list (the API has no read by id). A missing id gives an *APIError with
// status 404, like the API's own answer for an unknown id.
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	w, ok, err := c.inventory.Find(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound(id)
	}
	return &w, nil
}

// ListFetches reports how many list calls this Client has made (for tests of the read cache).
func (c *Client) ListFetches() int { return c.inventory.Fetches() }

// CreateWebhook makes exactly one webhook and returns it with its secret. If an attempt's answer is lost it
// finds and deletes what that attempt made before trying again, because a webhook whose secret was never seen
// is of no use; see inventory.CreateOnce.
func (c *Client) CreateWebhook(ctx context.Context, req CreateRequest) (*Webhook, error) {
	w, err := c.inventory.CreateOnce(ctx, inventory.Create[Webhook]{
		Key:      req.URL + "\x00" + fmt.Sprint(sortedCopy(req.Events)),
		Describe: "Sellfern webhook for " + req.URL,
		Do: func(ctx context.Context) (Webhook, error) {
			resp, err := c.http.Do(ctx, http.MethodPost, "api/v2/webhooks", nil, req)
			if err != nil {
				return Webhook{}, asAPIError(err)
			}
			var out envelope[Webhook]
			if err := resp.DecodeSensitive(&out); err != nil {
				return Webhook{}, err
			}
			if out.Data.ID == "" {
				// Created, as the status says, but with no id to know it by: as good as a lost answer.
				return Webhook{}, &transport.DecodeError{Service: "Sellfern", Method: resp.Method, Path: resp.Path,
					Detail: "a success that names no webhook id"}
			}
			return out.Data, nil
		},
		Matches: func(w Webhook) bool {
			return w.URL == req.URL && slices.Equal(sortedCopy(w.Events), sortedCopy(req.Events))
		},
		Delete:    func(ctx context.Context, w Webhook) error { return c.DeleteWebhook(ctx, w.ID) },
		Attempts:  c.http.MaxAttempts(),
		Ambiguous: transport.OutcomeUnknown,
		Wait:      c.http.WaitBeforeRetry,
	})
	if err != nil {
		if inventory.IsOrphan(err) {
			return &w, err
		}
		return nil, err
	}
	return &w, nil
}

// UpdateWebhook patches a webhook. The documents show no answer body; when there is none, it returns nil and no
// error, and the caller knows the new values from its request.
func (c *Client) UpdateWebhook(ctx context.Context, id string, req UpdateRequest) (*Webhook, error) {
	defer c.inventory.Invalidate()
	var out envelope[*Webhook]
	if err := c.call(ctx, http.MethodPatch, webhookPath(id), nil, req, &out); err != nil {
		return nil, withID(err, id)
	}
	if out.Data == nil || out.Data.ID == "" {
		return nil, nil
	}
	return out.Data, nil
}

// DeleteWebhook deletes a webhook, repeating its id in confirm as the API demands. An unknown id gives an
// *APIError with status 404; callers that only want it gone treat that as success.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	defer c.inventory.Invalidate()
	err := c.call(ctx, http.MethodDelete, webhookPath(id), url.Values{"confirm": {id}}, nil, nil)
	return withID(err, id)
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

// SendTest asks Sellfern to send a test event to the endpoint. It is sent once and never repeated (the transport
// retries no POST): a repeat would send a second event. When the outcome is unknown (no answer, a 5xx, a 429, an
// unreadable answer), the error says that the call was not repeated.
func (c *Client) SendTest(ctx context.Context, id string) (*TestResult, error) {
	resp, err := c.http.Do(ctx, http.MethodPost, webhookPath(id)+"/test", nil, nil)
	if err != nil {
		return nil, notRepeated(withID(asAPIError(err), id))
	}
	result := &TestResult{HTTPStatus: resp.StatusCode}
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		return result, nil
	}
	var out struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if err := resp.Decode(&out); err != nil {
		return nil, notRepeated(err)
	}
	if out.Success != nil && !*out.Success {
		result.Refused = true
		code, message := decodeErrorBody(resp.Body)
		result.Code, result.Message = c.text(code, maxCode), c.text(message, maxMessage)
	}
	if len(out.Data) == 0 || string(out.Data) == "null" {
		return result, nil
	}
	var d Delivery
	if err := json.Unmarshal(out.Data, &d); err != nil {
		return nil, notRepeated(&transport.DecodeError{Service: "Sellfern", Method: resp.Method, Path: resp.Path,
			Detail: "data that is not a delivery: " + transport.BodySnippet(resp.Header, []byte(c.http.Redact(string(out.Data))))})
	}
	if d.ID != "" || d.StatusCode != 0 || d.Error != "" {
		result.Delivery = c.cleanDelivery(d)
	}
	return result, nil
}

// ListDeliveries returns the recent deliveries to an endpoint.
func (c *Client) ListDeliveries(ctx context.Context, id string) ([]Delivery, error) {
	var out envelope[[]Delivery]
	if err := c.call(ctx, http.MethodGet, webhookPath(id)+"/deliveries", nil, nil, &out); err != nil {
		return nil, withID(err, id)
	}
	for i, d := range out.Data {
		out.Data[i] = *c.cleanDelivery(d)
	}
	return out.Data, nil
}

// cleanDelivery redacts the error text of a delivery: it is the endpoint's own words, which may quote the request
// it was sent, and so its signing secret.
func (c *Client) cleanDelivery(d Delivery) *Delivery {
	d.Error = c.http.Redact(d.Error)
	return &d
}

// text makes a piece of an answer fit for a message: secrets redacted, control characters removed, bounded.
func (c *Client) text(s string, maxLen int) string {
	return transport.CleanText(c.http.Redact(s), maxLen)
}

// notRepeatedError is a test call whose outcome is unknown: Sellfern may have sent the event already.
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
