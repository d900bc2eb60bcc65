// Package selsup is a client for SelSup's webhooks API: list, create and delete (there is no update and no read
// by id). It is plain Go: typed requests, responses and errors over the shared transport, nothing of Terraform.
package selsup

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// DefaultBaseURL is SelSup's production API.
const DefaultBaseURL = "https://api.selsup.ru"

// Types is the documented set of event types.
var Types = []string{"CREATE_ORDER", "ORDER", "ORDER_STATUS", "CREATE_PRODUCT"}

// Webhook is one subscription. Types is nil when the service did not say (the documented schema omits it).
// Zero OrganizationID and empty Name mean "not set".
type Webhook struct {
	ID             int64
	Name           string
	URL            string
	ClientID       int64
	OrganizationID int64
	Types          []string
}

// wireWebhook is the JSON shape. Numbers are read leniently because the documents' own samples send them as
// strings (a documentation bug, but one a real server might share).
type wireWebhook struct {
	ID             flexInt   `json:"id"`
	Name           string    `json:"name"`
	URL            string    `json:"url"`
	ClientID       flexInt   `json:"clientId"`
	OrganizationID flexInt   `json:"organizationId"`
	Types          *[]string `json:"types"`
}

func (w wireWebhook) webhook() Webhook {
	out := Webhook{ID: int64(w.ID), Name: w.Name, URL: w.URL, ClientID: int64(w.ClientID), OrganizationID: int64(w.OrganizationID)}
	if w.Types != nil {
		out.Types = slices.Clone(*w.Types)
		if out.Types == nil {
			out.Types = []string{}
		}
	}
	return out
}

// CreateRequest is the body of a create. The service sets id and clientId itself.
type CreateRequest struct {
	Name           string   `json:"name,omitempty"`
	URL            string   `json:"url"`
	OrganizationID int64    `json:"organizationId,omitempty"`
	Types          []string `json:"types"`
}

// Config configures a Client. Zero durations and retries take the transport's defaults.
type Config struct {
	BaseURL        string
	APIKey         string
	UserAgent      string
	MaxRetries     int
	RequestTimeout time.Duration
	HTTPClient     *http.Client
}

// Client talks to one SelSup account.
type Client struct {
	http      *transport.Client
	inventory *inventory.Store[Webhook]
}

// New returns a Client, refusing a base URL that would send the key in clear text.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	t, err := transport.New(transport.Config{
		Service:        "SelSup",
		BaseURL:        cfg.BaseURL,
		AuthHeader:     "Authorization",
		AuthValue:      cfg.APIKey, // the raw key: SelSup takes no "Bearer" prefix
		UserAgent:      cfg.UserAgent,
		MaxRetries:     cfg.MaxRetries,
		RequestTimeout: cfg.RequestTimeout,
		HTTPClient:     cfg.HTTPClient,
	})
	if err != nil {
		return nil, err
	}
	c := &Client{http: t}
	c.inventory = inventory.New(c.listWebhooks, func(w Webhook) string { return FormatID(w.ID) }, inventory.DefaultTTL)
	return c, nil
}

// FormatID and ParseID convert between the API's integer ids and the strings Terraform uses.
func FormatID(id int64) string { return strconv.FormatInt(id, 10) }

// ParseID accepts a positive decimal integer.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strings.TrimSpace(s) != s {
		return 0, fmt.Errorf("a SelSup webhook id is a positive whole number, like 1042; %q is not", s)
	}
	return id, nil
}

func (c *Client) call(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.http.Do(ctx, method, path, nil, body)
	if err != nil {
		return asAPIError(err)
	}
	if out == nil {
		return nil
	}
	return resp.Decode(out)
}

// ListWebhooks returns every webhook of the account. Reads during one Terraform operation share one list; any
// write through this Client makes the next read list again.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	return c.inventory.List(ctx)
}

func (c *Client) listWebhooks(ctx context.Context) ([]Webhook, error) {
	var wire []wireWebhook
	// The trailing slash is part of the documented path.
	if err := c.call(ctx, http.MethodGet, "api/webhook/", nil, &wire); err != nil {
		return nil, err
	}
	out := make([]Webhook, 0, len(wire))
	for _, w := range wire {
		out = append(out, w.webhook())
	}
	return out, nil
}

// GetWebhook finds one webhook in the list. A missing id gives an *APIError with status 404.
func (c *Client) GetWebhook(ctx context.Context, id int64) (*Webhook, error) {
	w, ok, err := c.inventory.Find(ctx, FormatID(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &APIError{StatusCode: http.StatusNotFound, Code: "NOT_FOUND", WebhookID: id}
	}
	return &w, nil
}

// ListFetches reports how many list calls this Client has made (for tests of the read cache).
func (c *Client) ListFetches() int { return c.inventory.Fetches() }

// CreateWebhook makes exactly one webhook. If an attempt's answer is lost, the webhook it made is found in the
// list and adopted (a SelSup create answer holds nothing the list lacks), so no second one is made.
func (c *Client) CreateWebhook(ctx context.Context, req CreateRequest) (*Webhook, error) {
	wantTypes := sortedCopy(req.Types)
	w, err := c.inventory.CreateOnce(ctx, inventory.Create[Webhook]{
		Key:      fmt.Sprint(req.URL, "\x00", req.Name, "\x00", req.OrganizationID, "\x00", wantTypes),
		Describe: "SelSup webhook for " + req.URL,
		Do: func(ctx context.Context) (Webhook, error) {
			resp, err := c.http.Do(ctx, http.MethodPost, "api/webhook/", nil, req)
			if err != nil {
				return Webhook{}, asAPIError(err)
			}
			var out wireWebhook
			if err := resp.Decode(&out); err != nil {
				return Webhook{}, err
			}
			if out.ID == 0 {
				// Created, as the status says, but with no id to know it by: as good as a lost answer.
				return Webhook{}, &transport.DecodeError{Service: "SelSup", Method: resp.Method, Path: resp.Path,
					Detail: "a success that names no webhook id"}
			}
			return out.webhook(), nil
		},
		Matches: func(w Webhook) bool {
			// A list without types cannot contradict them.
			return w.URL == req.URL && w.Name == req.Name && w.OrganizationID == req.OrganizationID &&
				(w.Types == nil || slices.Equal(sortedCopy(w.Types), wantTypes))
		},
		Delete:    func(ctx context.Context, w Webhook) error { return c.DeleteWebhook(ctx, w.ID) },
		Adopt:     true,
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

// DeleteWebhook deletes a webhook. An unknown id gives an *APIError with status 404.
func (c *Client) DeleteWebhook(ctx context.Context, id int64) error {
	defer c.inventory.Invalidate()
	err := c.call(ctx, http.MethodDelete, "api/webhook/"+FormatID(id), nil, nil)
	if ae, ok := err.(*APIError); ok {
		ae.WebhookID = id
	}
	return err
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// flexInt reads a JSON number, a numeric string, or null.
type flexInt int64

func (f *flexInt) UnmarshalJSON(data []byte) error {
	s := strings.TrimSpace(string(data))
	if s == "null" || s == `""` {
		*f = 0
		return nil
	}
	if unquoted, err := strconv.Unquote(s); err == nil {
		s = unquoted
	}
	n := json.Number(s)
	v, err := n.Int64()
	if err != nil {
		return fmt.Errorf("expected an integer, got %s", data)
	}
	*f = flexInt(v)
	return nil
}
