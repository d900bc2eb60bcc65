// Package selsup is a client for SelSup's webhooks API: list, create and delete (there is no update and no read
// by id). It is plain Go: typed requests, responses and errors over the shared transport, nothing of Terraform.
package selsup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/seed/terraform-provider-webhooks/internal/inventory"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
	"github.com/seed/terraform-provider-webhooks/internal/webhookurl"
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
// strings (a documentation bug, but one a real server might share). A nil ID or URL was absent or null.
type wireWebhook struct {
	ID             *flexInt  `json:"id"`
	Name           string    `json:"name"`
	URL            *string   `json:"url"`
	ClientID       flexInt   `json:"clientId"`
	OrganizationID flexInt   `json:"organizationId"`
	Types          *[]string `json:"types"`
}

// webhook reads w, or says what is wrong with it: every webhook has a positive integer id and a url.
func (w wireWebhook) webhook() (Webhook, string) {
	switch {
	case w.ID == nil:
		return Webhook{}, `no "id"`
	case *w.ID <= 0:
		return Webhook{}, fmt.Sprintf(`an "id" that is not a positive integer (%d)`, *w.ID)
	case w.URL == nil:
		return Webhook{}, `no "url"`
	}
	out := Webhook{ID: int64(*w.ID), Name: w.Name, URL: *w.URL, ClientID: int64(w.ClientID), OrganizationID: int64(w.OrganizationID)}
	if w.Types != nil {
		out.Types = slices.Clone(*w.Types)
		if out.Types == nil {
			out.Types = []string{}
		}
	}
	return out, ""
}

// CreateRequest is the body of a create. The service sets id and clientId itself.
type CreateRequest struct {
	Name           string   `json:"name,omitempty"`
	URL            string   `json:"url"`
	OrganizationID int64    `json:"organizationId,omitempty"`
	Types          []string `json:"types"`
}

// Config configures a Client: its credential, and the transport settings (an empty BaseURL means DefaultBaseURL).
type Config struct {
	APIKey string
	transport.Settings
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
		Settings:   cfg.Settings,
		Service:    "SelSup",
		AuthHeader: "Authorization",
		AuthValue:  cfg.APIKey, // the raw key: SelSup takes no "Bearer" prefix
	})
	if err != nil {
		return nil, err
	}
	c := &Client{http: t}
	c.inventory = inventory.New(c.listWebhooks, func(w Webhook) string { return FormatID(w.ID) }, cloneWebhook)
	return c, nil
}

func cloneWebhook(w Webhook) Webhook {
	w.Types = slices.Clone(w.Types)
	return w
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

// ListWebhooks returns every webhook of the account. Reads during one Terraform operation share one list; any
// write through this Client makes the next read list again.
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	return c.inventory.List(ctx)
}

func (c *Client) listWebhooks(ctx context.Context) ([]Webhook, error) {
	// The trailing slash is part of the documented path.
	resp, err := c.http.Do(ctx, http.MethodGet, "api/webhook/", nil, nil)
	if err != nil {
		return nil, asAPIError(err)
	}
	var wire []wireWebhook
	// A body that is not an array may still be one page of a paged answer ({"content": […], "totalPages": 2}):
	// saying so is the clearer error.
	if how := resp.Incomplete(transport.Entries(resp.Body)); how != "" {
		// Neither the documents nor the service describe pages; a partial list taken for all of it would read
		// the missing webhooks as deleted (and create them again).
		return nil, resp.NotAsPromised("only part of the list of webhooks: the answer says more follows (" + how +
			"), and the provider does not follow pages, which SelSup's API does not document, since a partial " +
			"list read as complete would delete or duplicate webhooks")
	}
	if body := bytes.TrimSpace(resp.Body); len(body) == 0 || body[0] != '[' {
		// A 200 with anything but the documented array (null, or an error body) is not an empty account.
		return nil, resp.NotAsPromised("not the list of webhooks: " + describeBody(resp))
	}
	if err := resp.Decode(&wire); err != nil {
		return nil, err
	}
	out := make([]Webhook, len(wire))
	for i, w := range wire {
		var problem string
		if out[i], problem = w.webhook(); problem != "" {
			return nil, resp.NotAsPromised(fmt.Sprintf("webhook %d of the list has %s", i+1, problem))
		}
	}
	return out, nil
}

// describeBody says what a 2xx body holds instead of what the call promised: the service's own error code and
// message when it is an error body, or a short excerpt.
func describeBody(resp *transport.Response) string {
	if fields, ok := decodeErrorFields(resp.Body, resp.Text); ok {
		return "an error body (" + fields + ")"
	}
	return resp.Snippet(resp.Body)
}

// GetWebhook finds one webhook in the list. A missing id gives a *NotFoundError; a list that fails gives its
// error, never "not found".
func (c *Client) GetWebhook(ctx context.Context, id int64) (*Webhook, error) {
	w, ok, err := c.inventory.Find(ctx, FormatID(id))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &NotFoundError{ID: id}
	}
	return &w, nil
}

// Created is a webhook a create made, and what the create saw around it (inventory.Around): Identical, the
// identical webhooks (same name, URL, organization and types) the account already held that this process neither
// made nor deleted; Adopted, that the webhook was found in a list after a request whose answer was lost and taken
// for that request's own, which nothing proves; when InDoubt (some request's outcome was unknown), Appeared, the
// identical webhooks that appeared while it was in doubt, and Beside, the ids of every identical webhook there when
// it ended (CheckErr when the list that would say failed).
type Created struct {
	Webhook
	inventory.Around[Webhook]
}

// CreateWebhook makes one webhook. SelSup takes no idempotency key, so a request whose answer is lost can only be
// looked for in the list: the one identical webhook that appeared meanwhile is adopted (a SelSup create answer
// holds nothing the list lacks) and reported as adopted, since another configuration's made at the same moment
// would look the same; see inventory.CreateOnce (createListed). Nothing is ever deleted on such a guess.
func (c *Client) CreateWebhook(ctx context.Context, req CreateRequest) (*Created, error) {
	made, err := c.inventory.CreateOnce(ctx, inventory.Create[Webhook]{
		Fingerprint: fmt.Sprint(webhookurl.Canonical(req.URL), "\x00", req.Name, "\x00", req.OrganizationID, "\x00", sortedCopy(req.Types)),
		Describe:    "SelSup webhook for " + req.URL,
		Do: func(ctx context.Context) (Webhook, error) {
			resp, err := c.http.Do(ctx, http.MethodPost, "api/webhook/", nil, req)
			if err != nil {
				return Webhook{}, asAPIError(err)
			}
			var out wireWebhook
			if body := bytes.TrimSpace(resp.Body); len(body) == 0 || body[0] != '{' {
				return Webhook{}, resp.NotAsPromised("not the created webhook: " + describeBody(resp))
			}
			if err := resp.Decode(&out); err != nil {
				return Webhook{}, err
			}
			// Created, as the status says, but with no id to know it by: as good as a lost answer. The documented
			// answer repeats the url; the request says what it is when it does not.
			if out.URL == nil {
				out.URL = &req.URL
			}
			made, problem := out.webhook()
			if problem != "" {
				return Webhook{}, resp.NotAsPromised("the created webhook has " + problem)
			}
			return made, nil
		},
		Matches: func(w Webhook) bool {
			return identical(w, Webhook{Name: req.Name, URL: req.URL, OrganizationID: req.OrganizationID, Types: req.Types})
		},
		Policy: c.http,
	})
	if err != nil {
		return nil, err
	}
	return &Created{Webhook: made.Item, Around: made.Around}, nil
}

// identical reports whether w has the name, URL (as webhookurl compares them), organization and types of want. A
// list without types cannot contradict them.
func identical(w, want Webhook) bool {
	return webhookurl.Equal(w.URL, want.URL) && w.Name == want.Name && w.OrganizationID == want.OrganizationID &&
		(w.Types == nil || want.Types == nil || slices.Equal(sortedCopy(w.Types), sortedCopy(want.Types)))
}

// IdenticalTo returns the account's webhooks identical to w, w itself excepted, from the shared list.
func (c *Client) IdenticalTo(ctx context.Context, w Webhook) ([]Webhook, error) {
	return c.inventory.Others(ctx, FormatID(w.ID), func(o Webhook) bool { return identical(o, w) })
}

// Arrival is a webhook identical to one a create in doubt made, which a list of this process showed after that
// create ended: a create the service stored late, or another configuration's (see inventory.Arrival).
type Arrival = inventory.Arrival[Webhook]

// Arrivals returns the arrivals found since the last call, each once.
func (c *Client) Arrivals() []Arrival { return c.inventory.Arrivals() }

// DeleteWebhook deletes a webhook. The documented answer is a bare 200; a 2xx that carries an error body says the
// webhook is still there. A 404 counts as done only when a complete list confirms that the webhook is gone (the
// list is shared, so many such deletes cost one list); otherwise it is an error saying that the list still holds
// it, or could not be read.
func (c *Client) DeleteWebhook(ctx context.Context, id int64) error {
	resp, err := c.http.Do(ctx, http.MethodDelete, "api/webhook/"+FormatID(id), nil, nil)
	if err != nil {
		if err = c.confirmGone(ctx, asAPIError(err), id); IsNotFound(err) {
			return nil
		}
		// A failed delete may still have happened: the next read lists again.
		c.inventory.Invalidate()
		return err
	}
	if fields, ok := decodeErrorFields(resp.Body, resp.Text); ok {
		c.inventory.Invalidate()
		return resp.NotAsPromised("an error body (" + fields + "), so the webhook was not deleted")
	}
	c.inventory.Deleted(FormatID(id))
	return nil
}

// confirmGone decides what a 404 to a call about webhook id means: a *NotFoundError when a complete list of the
// account's webhooks lacks it, else the *APIError saying that the list holds it or could not be read.
func (c *Client) confirmGone(ctx context.Context, err error, id int64) error {
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound {
		return err
	}
	ae.WebhookID = id
	absent, lerr := c.inventory.Absent(ctx, FormatID(id))
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

// Settings are a client's transport settings besides its credential (both services' clients take the same).
type Settings = transport.Settings

// CheckBaseURL applies the rule for a base URL: https, or plain http to a loopback host only, so that the
// credential never crosses a network in clear text.
func CheckBaseURL(raw string) error {
	_, err := transport.CheckBaseURL(raw)
	return err
}
