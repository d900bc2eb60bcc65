package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// sellfernEvents is the whole documented set of Sellfern events.
var sellfernEvents = []string{
	"order.created",
	"order.updated",
	"order.status_changed",
	"order.fulfillment.shipped",
	"order.fulfillment.delivered",
	"expense.created",
	"ticket.created",
	"ticket.updated",
}

// Sellfern error codes (the error body shape is our decision, see API.md).
const (
	sfUnauthorized       = "unauthorized"
	sfMissingScope       = "missing_scope"
	sfNotFound           = "not_found"
	sfValidationError    = "validation_error"
	sfInvalidJSON        = "invalid_json"
	sfMethodNotAllowed   = "method_not_allowed"
	sfServiceUnavailable = "service_unavailable"
	sfRateLimited        = "rate_limited"
)

// SellfernWebhook is a webhook as the Sellfern mock stores it.
type SellfernWebhook struct {
	ID        string
	URL       string
	Events    []string
	Enabled   bool
	Secret    string
	CreatedAt time.Time
}

// SellfernDelivery is one recorded delivery attempt (the mock records one per
// test call and never makes outbound requests).
type SellfernDelivery struct {
	ID         string
	WebhookID  string
	Event      string
	StatusCode int
	Success    bool
	Error      string
	CreatedAt  time.Time
}

// Wire shapes.
type (
	sellfernWebhookJSON struct {
		ID        string   `json:"id"`
		URL       string   `json:"url"`
		Events    []string `json:"events"`
		Secret    string   `json:"secret,omitempty"` // only in the create response (and /_mock/state)
		Enabled   bool     `json:"enabled"`
		CreatedAt string   `json:"created_at"`
	}
	sellfernDeliveryJSON struct {
		ID         string `json:"id"`
		WebhookID  string `json:"webhook_id"`
		Event      string `json:"event"`
		StatusCode int    `json:"status_code"`
		Success    bool   `json:"success"`
		Error      string `json:"error"`
		CreatedAt  string `json:"created_at"`
	}
	sellfernOK struct {
		Success bool `json:"success"`
		Data    any  `json:"data,omitempty"`
	}
	sellfernErr struct {
		Success bool              `json:"success"`
		Error   sellfernErrDetail `json:"error"`
	}
	sellfernErrDetail struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
)

// sellfernAPI is the Sellfern service: one organization shared by every token.
type sellfernAPI struct {
	srv    *Server
	tokens map[string]bool // read-only after construction
	table  []route

	mu         sync.Mutex
	order      []string // webhook ids in creation order
	hooks      map[string]*SellfernWebhook
	deliveries map[string][]SellfernDelivery // per webhook id, oldest first
	issued     []string                      // every secret ever handed out, for leak searches
}

func newSellfernAPI(srv *Server, tokens map[string]bool) *sellfernAPI {
	a := &sellfernAPI{
		srv:        srv,
		tokens:     tokens,
		hooks:      map[string]*SellfernWebhook{},
		deliveries: map[string][]SellfernDelivery{},
	}
	a.table = []route{
		newRoute(http.MethodGet, "/api/v2/webhooks", routeSellfernList, false, a.authed(a.list)),
		newRoute(http.MethodPost, "/api/v2/webhooks", routeSellfernCreate, true, a.authed(a.create)),
		newRoute(http.MethodPatch, "/api/v2/webhooks/{}", routeSellfernUpdate, false, a.authed(a.update)),
		newRoute(http.MethodDelete, "/api/v2/webhooks/{}", routeSellfernDelete, false, a.authed(a.delete)),
		newRoute(http.MethodPost, "/api/v2/webhooks/{}/test", routeSellfernTest, false, a.authed(a.test)),
		newRoute(http.MethodGet, "/api/v2/webhooks/{}/deliveries", routeSellfernDeliveries, false, a.authed(a.listDeliveries)),
	}
	return a
}

// --- service interface ---

func (a *sellfernAPI) routes() []route { return a.table }

func (a *sellfernAPI) notFound(w http.ResponseWriter, r *http.Request) {
	a.fail(w, http.StatusNotFound, sfNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
}

func (a *sellfernAPI) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	a.fail(w, http.StatusMethodNotAllowed, sfMethodNotAllowed,
		fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
}

func (a *sellfernAPI) writeFault(w http.ResponseWriter, kind FaultKind) {
	if kind == Fault429 {
		a.fail(w, http.StatusTooManyRequests, sfRateLimited, "rate limit exceeded; retry after the time in Retry-After")
		return
	}
	a.fail(w, http.StatusServiceUnavailable, sfServiceUnavailable, "service temporarily unavailable")
}

// --- responses ---

func (a *sellfernAPI) fail(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, jsonContentType, sellfernErr{Error: sellfernErrDetail{Code: code, Message: message}})
}

func (a *sellfernAPI) ok(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, jsonContentType, sellfernOK{Success: true, Data: data})
}

func (a *sellfernAPI) webhookNotFound(w http.ResponseWriter, id string) {
	a.fail(w, http.StatusNotFound, sfNotFound, fmt.Sprintf("webhook %q not found", id))
}

// --- auth ---

// authed wraps a handler with the token check, which comes before anything
// else so that an unauthenticated caller learns nothing (not even a 404).
func (a *sellfernAPI) authed(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, param string) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			a.fail(w, http.StatusUnauthorized, sfUnauthorized, "missing or malformed Authorization header; expected: Bearer <token>")
			return
		}
		hasScope, known := a.tokens[token]
		if !known {
			a.fail(w, http.StatusUnauthorized, sfUnauthorized, "token is invalid or revoked")
			return
		}
		if !hasScope {
			a.fail(w, http.StatusForbidden, sfMissingScope, "token lacks the required scope webhooks:manage")
			return
		}
		h(w, r, param)
	}
}

// --- request decoding ---

// readBody parses the body as a JSON object, answering invalid_json otherwise.
func (a *sellfernAPI) readBody(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	obj, problem := readJSONObject(w, r)
	switch problem {
	case bodyTooLarge:
		a.fail(w, http.StatusBadRequest, sfInvalidJSON, fmt.Sprintf("request body is larger than %d bytes", maxBodyBytes))
	case bodyMalformed:
		a.fail(w, http.StatusBadRequest, sfInvalidJSON, "request body is not valid JSON")
	case bodyNotObject:
		a.fail(w, http.StatusBadRequest, sfInvalidJSON, "request body must be a JSON object")
	}
	return obj, problem == bodyOK
}

// sellfernPatch holds the fields of a create or update request that were
// present and valid.
type sellfernPatch struct {
	url     *string
	events  []string
	enabled *bool
}

// parseSellfernFields validates url and events (and enabled for updates).
// Absent fields are left nil; required says whether url and events must be
// there. A JSON null is a wrong type: Sellfern documents no nullable field.
func parseSellfernFields(obj map[string]json.RawMessage, required, allowEnabled bool) (sellfernPatch, string) {
	var p sellfernPatch

	var u string
	switch decodeField(obj, "url", &u) {
	case fieldAbsent:
		if required {
			return p, "url is required"
		}
	case fieldNull, fieldWrongType:
		return p, "url must be a string"
	case fieldSet:
		if msg := sellfernURLMessage(checkWebhookURL(u, "https")); msg != "" {
			return p, msg
		}
		p.url = &u
	}

	var events []string
	switch decodeField(obj, "events", &events) {
	case fieldAbsent:
		if required {
			return p, "events is required"
		}
	case fieldNull, fieldWrongType:
		return p, "events must be an array of strings"
	case fieldSet:
		if len(events) == 0 {
			return p, "events must contain at least one event"
		}
		if i, dup := checkEnum(events, sellfernEvents); i >= 0 {
			if dup {
				return p, fmt.Sprintf("events[%d]: duplicate event %q", i, events[i])
			}
			return p, fmt.Sprintf("events[%d]: unknown event %q; allowed: %s", i, events[i], strings.Join(sellfernEvents, ", "))
		}
		p.events = events
	}

	if allowEnabled {
		var enabled bool
		switch decodeField(obj, "enabled", &enabled) {
		case fieldNull, fieldWrongType:
			return p, "enabled must be a boolean"
		case fieldSet:
			p.enabled = &enabled
		}
	}
	return p, ""
}

func sellfernURLMessage(p urlProblem) string {
	switch p {
	case urlOK:
		return ""
	case urlEmpty:
		return "url must not be empty"
	case urlTooLong:
		return fmt.Sprintf("url must be at most %d characters", maxURLChars)
	case urlBadChars:
		return "url must not contain whitespace or control characters"
	case urlMalformed:
		return "url is not a valid URL"
	case urlNoHost:
		return "url must include a host"
	case urlUserinfo:
		return "url must not contain user info (user:password@)"
	default: // urlNotAbsolute, urlBadScheme
		return "url must be an absolute https:// URL"
	}
}

// --- handlers ---

func (a *sellfernAPI) list(w http.ResponseWriter, _ *http.Request, _ string) {
	shuffled := a.srv.config().shuffle
	a.mu.Lock()
	views := make([]sellfernWebhookJSON, 0, len(a.order))
	for _, id := range a.order {
		views = append(views, sellfernView(a.hooks[id], false))
	}
	a.mu.Unlock()
	if shuffled {
		shuffle(a.srv.rng, views)
		for i := range views {
			shuffle(a.srv.rng, views[i].Events)
		}
	}
	a.ok(w, http.StatusOK, views)
}

func (a *sellfernAPI) create(w http.ResponseWriter, r *http.Request, _ string) {
	obj, ok := a.readBody(w, r)
	if !ok {
		return
	}
	// "enabled" is not a documented create field: it is ignored like any
	// unknown field, and a new webhook is always enabled.
	p, msg := parseSellfernFields(obj, true, false)
	if msg != "" {
		a.fail(w, http.StatusBadRequest, sfValidationError, msg)
		return
	}
	a.mu.Lock()
	h := a.insertLocked(SellfernWebhook{URL: *p.url, Events: p.events, Enabled: true})
	view := sellfernView(h, true) // the only response that ever carries the secret
	a.mu.Unlock()
	a.respondWebhook(w, http.StatusCreated, view)
}

func (a *sellfernAPI) update(w http.ResponseWriter, r *http.Request, id string) {
	obj, ok := a.readBody(w, r)
	if !ok {
		return
	}
	// The request is validated as a whole before it is applied, so a bad
	// field never leaves the webhook half-updated.
	p, msg := parseSellfernFields(obj, false, true)
	if msg != "" {
		a.fail(w, http.StatusBadRequest, sfValidationError, msg)
		return
	}
	view, found := a.patch(id, p)
	if !found {
		a.webhookNotFound(w, id)
		return
	}
	a.respondWebhook(w, http.StatusOK, view)
}

func (a *sellfernAPI) delete(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	if !q.Has("confirm") || q.Get("confirm") != id {
		a.fail(w, http.StatusBadRequest, sfValidationError, "confirm must repeat the webhook id")
		return
	}
	if !a.remove(id) {
		a.webhookNotFound(w, id)
		return
	}
	a.ok(w, http.StatusOK, nil)
}

func (a *sellfernAPI) test(w http.ResponseWriter, _ *http.Request, id string) {
	d, found := a.recordTest(id)
	if !found {
		a.webhookNotFound(w, id)
		return
	}
	a.ok(w, http.StatusOK, deliveryView(d))
}

func (a *sellfernAPI) listDeliveries(w http.ResponseWriter, _ *http.Request, id string) {
	ds, found := a.deliveriesNewestFirst(id)
	if !found {
		a.webhookNotFound(w, id)
		return
	}
	views := make([]sellfernDeliveryJSON, len(ds))
	for i, d := range ds {
		views[i] = deliveryView(d)
	}
	a.ok(w, http.StatusOK, views)
}

// respondWebhook answers with one webhook, its events shuffled when asked:
// a real API may reorder arrays in any response, not only in lists.
func (a *sellfernAPI) respondWebhook(w http.ResponseWriter, status int, view sellfernWebhookJSON) {
	if a.srv.config().shuffle {
		shuffle(a.srv.rng, view.Events)
	}
	a.ok(w, status, view)
}

// --- state (callers hold a.mu where the name says Locked) ---

// IssuedSellfernSecrets returns every secret the mock has held, including those of deleted webhooks, so that
// tests can search logs and output for any of them.
func (s *Server) IssuedSellfernSecrets() []string {
	s.sellfern.mu.Lock()
	defer s.sellfern.mu.Unlock()
	return slices.Clone(s.sellfern.issued)
}

// insertLocked stores h, filling in an id, secret and creation time where
// they are empty, and returns the stored webhook.
func (a *sellfernAPI) insertLocked(h SellfernWebhook) *SellfernWebhook {
	if h.ID == "" {
		for {
			h.ID = "wh_" + a.srv.rng.hex(16)
			if _, taken := a.hooks[h.ID]; !taken {
				break
			}
		}
	}
	if h.Secret == "" {
		h.Secret = "whsec_" + a.srv.rng.hex(32)
	}
	a.issued = append(a.issued, h.Secret)
	if h.CreatedAt.IsZero() {
		h.CreatedAt = nowSecond()
	}
	h.Events = slices.Clone(h.Events)
	a.order = append(a.order, h.ID)
	a.hooks[h.ID] = &h
	return &h
}

// patch applies a validated update and returns the updated webhook's view.
func (a *sellfernAPI) patch(id string, p sellfernPatch) (sellfernWebhookJSON, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	h, ok := a.hooks[id]
	if !ok {
		return sellfernWebhookJSON{}, false
	}
	if p.url != nil {
		h.URL = *p.url
	}
	if p.events != nil {
		h.Events = p.events
	}
	if p.enabled != nil {
		h.Enabled = *p.enabled
	}
	return sellfernView(h, false), true
}

// recordTest records the delivery of a test event. The mock never calls out:
// the test is recorded as delivered with the webhook's first event, as if the
// endpoint had answered 200.
func (a *sellfernAPI) recordTest(id string) (SellfernDelivery, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	h, ok := a.hooks[id]
	if !ok {
		return SellfernDelivery{}, false
	}
	d := SellfernDelivery{
		ID:         "dl_" + a.srv.rng.hex(16),
		WebhookID:  id,
		StatusCode: http.StatusOK,
		Success:    true,
		CreatedAt:  nowSecond(),
	}
	if len(h.Events) > 0 {
		d.Event = h.Events[0]
	}
	a.deliveries[id] = append(a.deliveries[id], d)
	return d, true
}

func (a *sellfernAPI) remove(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.hooks[id]; !ok {
		return false
	}
	delete(a.hooks, id)
	delete(a.deliveries, id)
	a.order = slices.DeleteFunc(a.order, func(x string) bool { return x == id })
	return true
}

func (a *sellfernAPI) deliveriesNewestFirst(id string) ([]SellfernDelivery, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.hooks[id]; !ok {
		return nil, false
	}
	ds := slices.Clone(a.deliveries[id])
	slices.Reverse(ds)
	return ds, true
}

func (a *sellfernAPI) stateView() []sellfernWebhookJSON {
	a.mu.Lock()
	defer a.mu.Unlock()
	views := make([]sellfernWebhookJSON, 0, len(a.order))
	for _, id := range a.order {
		views = append(views, sellfernView(a.hooks[id], true))
	}
	return views
}

func sellfernView(h *SellfernWebhook, withSecret bool) sellfernWebhookJSON {
	v := sellfernWebhookJSON{
		ID:        h.ID,
		URL:       h.URL,
		Events:    slices.Clone(h.Events),
		Enabled:   h.Enabled,
		CreatedAt: formatTime(h.CreatedAt),
	}
	if v.Events == nil {
		v.Events = []string{} // an array, never null
	}
	if withSecret {
		v.Secret = h.Secret
	}
	return v
}

func deliveryView(d SellfernDelivery) sellfernDeliveryJSON {
	return sellfernDeliveryJSON{
		ID:         d.ID,
		WebhookID:  d.WebhookID,
		Event:      d.Event,
		StatusCode: d.StatusCode,
		Success:    d.Success,
		Error:      d.Error,
		CreatedAt:  formatTime(d.CreatedAt),
	}
}

// nowSecond is the creation time of new records: UTC, whole seconds, as the API
// shows it.
func nowSecond() time.Time { return time.Now().UTC().Truncate(time.Second) }

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func cloneSellfern(h *SellfernWebhook) SellfernWebhook {
	c := *h
	c.Events = slices.Clone(h.Events)
	return c
}

// --- state access for tests ---

// SellfernWebhooks returns copies of all Sellfern webhooks in creation order.
func (s *Server) SellfernWebhooks() []SellfernWebhook {
	a := s.sellfern
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]SellfernWebhook, 0, len(a.order))
	for _, id := range a.order {
		out = append(out, cloneSellfern(a.hooks[id]))
	}
	return out
}

// SellfernWebhook returns a copy of one webhook.
func (s *Server) SellfernWebhook(id string) (SellfernWebhook, bool) {
	a := s.sellfern
	a.mu.Lock()
	defer a.mu.Unlock()
	h, ok := a.hooks[id]
	if !ok {
		return SellfernWebhook{}, false
	}
	return cloneSellfern(h), true
}

// SellfernPut stores w as if changed outside Terraform. An empty ID inserts a
// new webhook (with a new id, and a new secret and created_at where those are
// empty); a known ID replaces that webhook in place (keeping its secret and
// created_at when w leaves them empty); an unknown ID is inserted under that
// ID. No validation is done: tests may store what the API would refuse.
func (s *Server) SellfernPut(w SellfernWebhook) SellfernWebhook {
	a := s.sellfern
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.hooks[w.ID]; ok {
		if w.Secret == "" {
			w.Secret = old.Secret
		}
		if w.CreatedAt.IsZero() {
			w.CreatedAt = old.CreatedAt
		}
		w.Events = slices.Clone(w.Events)
		*old = w
		return cloneSellfern(old)
	}
	return cloneSellfern(a.insertLocked(w))
}

// SellfernDelete removes a webhook and its deliveries; it reports whether the
// webhook existed.
func (s *Server) SellfernDelete(id string) bool { return s.sellfern.remove(id) }

// SellfernDeliveries returns the deliveries of a webhook, newest first (nil
// for an unknown webhook).
func (s *Server) SellfernDeliveries(id string) []SellfernDelivery {
	ds, _ := s.sellfern.deliveriesNewestFirst(id)
	return ds
}
