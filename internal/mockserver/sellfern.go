package mockserver

import (
	"fmt"
	"net/http"
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

// Sellfern error codes, from the error table of Sellfern's developer guide ("Errors"), which also gives the body
// every error answer has: {"success": false, "error": {"code", "message", "details"?}, "meta": {"request_id"}}.
// invalid_json and method_not_allowed are the mock's own, for requests the documents say nothing of.
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

// SellfernDelivery is one delivery of an event to a webhook's endpoint, a test call's or an emitted event's
// (deliveries.go), with what the endpoint answered.
type SellfernDelivery struct {
	ID         string
	WebhookID  string
	Event      string
	EventID    string // the "id" of the body delivered (evt_…): the same for every webhook that got one event
	StatusCode int    // the endpoint's HTTP status; 0 when it gave none (unreachable, no answer in time)
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
		EventID    string `json:"event_id"`
		StatusCode int    `json:"status_code"`
		Success    bool   `json:"success"`
		Error      string `json:"error"`
		CreatedAt  string `json:"created_at"`
	}
	sellfernOK struct {
		Success bool         `json:"success"`
		Data    any          `json:"data,omitempty"`
		Meta    sellfernMeta `json:"meta"`
	}
	sellfernErr struct {
		Success bool              `json:"success"`
		Error   sellfernErrDetail `json:"error"`
		Meta    sellfernMeta      `json:"meta"`
	}
	sellfernErrDetail struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details,omitempty"`
	}
	// sellfernMeta is what every answer carries beside its data or error (developer guide "Errors").
	sellfernMeta struct {
		RequestID string `json:"request_id"`
	}
)

// sellfernAPI is the Sellfern service: one organization shared by every token.
type sellfernAPI struct {
	srv    *Server
	tokens map[string]bool // read-only after construction
	table  []route

	hooks *store[string, SellfernWebhook]
	keys  *idempotencyStore

	mu         sync.Mutex                    // guards the four below
	deliveries map[string][]SellfernDelivery // per webhook id, oldest first
	issued     []string                      // every secret ever handed out, for leak searches
	endpoints  map[string]endpointAnswer     // by webhook URL: how an endpoint told to fail answers a delivery
	inflight   map[string]int                // per webhook id, deliveries being made (deliveries.go)
	idle       *sync.Cond                    // on mu: signalled when a delivery in flight ends

	client *http.Client // makes the deliveries that go out (deliveries.go)
}

// endpointAnswer is what an endpoint answers a delivery with: its HTTP status (0 when it cannot be reached) and
// the error Sellfern records.
type endpointAnswer struct {
	status int
	err    string
}

func newSellfernAPI(srv *Server, tokens map[string]bool) *sellfernAPI {
	a := &sellfernAPI{
		srv:        srv,
		tokens:     tokens,
		hooks:      newStore(func(h *SellfernWebhook) string { return h.ID }, cloneSellfern),
		keys:       newIdempotencyStore(),
		deliveries: map[string][]SellfernDelivery{},
		endpoints:  map[string]endpointAnswer{},
		inflight:   map[string]int{},
		client:     newDeliveryClient(),
	}
	a.idle = sync.NewCond(&a.mu)
	a.table = []route{
		newRoute(http.MethodGet, "/api/v2/webhooks", routeSellfernList, false, a.authed(a.list)),
		newRoute(http.MethodPost, "/api/v2/webhooks", routeSellfernCreate, true,
			a.authed(a.idempotent(routeSellfernCreate, a.create))),
		newRoute(http.MethodPatch, "/api/v2/webhooks/{}", routeSellfernUpdate, false, a.authed(a.idempotent(routeSellfernUpdate, a.update))),
		newRoute(http.MethodDelete, "/api/v2/webhooks/{}", routeSellfernDelete, false, a.authed(a.delete)),
		newRoute(http.MethodPost, "/api/v2/webhooks/{}/test", routeSellfernTest, false, a.authed(a.idempotent(routeSellfernTest, a.test))),
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

// Every answer, success or error (a fault and a 429 included), carries meta.request_id: Sellfern's developer
// guide ("Errors") says each response has one, "always safe to log and share with Sellfern support".

func (a *sellfernAPI) fail(w http.ResponseWriter, status int, code, message string) {
	a.failWith(w, status, code, message, nil)
}

// failWith is fail with the error's details, the remediation data the guide says an error carries when there is
// some (the scope a 403 missing_scope needs).
func (a *sellfernAPI) failWith(w http.ResponseWriter, status int, code, message string, details map[string]any) {
	writeJSON(w, status, jsonContentType, sellfernErr{Error: sellfernErrDetail{Code: code, Message: message, Details: details},
		Meta: a.meta()})
}

func (a *sellfernAPI) ok(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, jsonContentType, sellfernOK{Success: true, Data: data, Meta: a.meta()})
}

func (a *sellfernAPI) meta() sellfernMeta {
	return sellfernMeta{RequestID: fmt.Sprintf("req_%016x", a.srv.answered.Add(1))}
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
			a.failWith(w, http.StatusForbidden, sfMissingScope, "token lacks the required scope webhooks:manage",
				map[string]any{"required_scope": "webhooks:manage"})
			return
		}
		h(w, r, param)
	}
}
