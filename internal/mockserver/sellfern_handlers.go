package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Sellfern's requests: the decoding and validation of request bodies, then one handler per route.

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

// parseSellfernFields validates url and events (and enabled for updates); events are among known.
// Absent fields are left nil; required says whether url and events must be
// there. A JSON null is a wrong type: Sellfern documents no nullable field.
func parseSellfernFields(obj map[string]json.RawMessage, required, allowEnabled bool, known []string) (sellfernPatch, string) {
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
		if i, dup := checkEnum(events, known); i >= 0 {
			if dup {
				return p, fmt.Sprintf("events[%d]: duplicate event %q", i, events[i])
			}
			return p, fmt.Sprintf("events[%d]: unknown event %q; allowed: %s", i, events[i], strings.Join(known, ", "))
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
	cfg := a.srv.config()
	shuffled := cfg.shuffle
	hooks := a.hooks.all()
	views := make([]sellfernWebhookJSON, len(hooks))
	for i := range hooks {
		views[i] = sellfernView(hooks[i], false)
	}
	if shuffled {
		shuffle(a.srv.rng, views)
		for i := range views {
			shuffle(a.srv.rng, views[i].Events)
		}
	}
	var page map[string]any
	if n := cfg.pageSize; n > 0 && len(views) > n {
		page = map[string]any{"has_more": true, "next_cursor": "c" + strconv.Itoa(n)}
		if cfg.sellfernPageStyle {
			page = map[string]any{"meta": map[string]any{"page": 1, "limit": n, "total": len(views),
				"totalPages": (len(views) + n - 1) / n}}
		}
		views = views[:n]
	}
	a.okList(w, cfg, routeSellfernList, views, page)
}

// okList answers a list call: the envelope with page (the keys that say it is one page, or nil) and the route's
// ListHint merged in.
func (a *sellfernAPI) okList(w http.ResponseWriter, cfg runtimeConfig, route string, data any, page map[string]any) {
	hint := applyListHint(w, cfg, route)
	if page == nil && hint == nil {
		a.ok(w, http.StatusOK, data)
		return
	}
	body := map[string]any{"success": true, "data": data, "meta": map[string]any{"request_id": a.meta().RequestID}}
	mergeJSON(body, page)
	mergeJSON(body, hint)
	writeJSON(w, http.StatusOK, jsonContentType, body)
}

func (a *sellfernAPI) create(w http.ResponseWriter, r *http.Request, _ string) {
	waitForCommit(r)
	obj, ok := a.readBody(w, r)
	if !ok {
		return
	}
	// "enabled" is not a documented create field: it is ignored like any
	// unknown field, and a new webhook is always enabled.
	p, msg := parseSellfernFields(obj, true, false, a.srv.config().knownEvents("sellfern"))
	if msg != "" {
		a.fail(w, http.StatusBadRequest, sfValidationError, msg)
		return
	}
	cfg := a.srv.config()
	stored := *p.url
	if cfg.normalizeURLs {
		stored = normalizeURL(stored)
	}
	if cfg.twin {
		twin := a.hooks.add(SellfernWebhook{URL: stored, Events: p.events, Enabled: true,
			CreatedAt: nowSecond().Add(-cfg.twinAge)}, a.fill)
		a.srv.noteTwin(twin.ID)
	}
	h := a.hooks.add(SellfernWebhook{URL: stored, Events: p.events, Enabled: true}, a.fill)
	a.srv.journal.record("sellfern", JournalCreate, h.ID, h.URL)
	view := sellfernView(h, true) // the only response that ever carries the secret
	a.respondWebhook(w, http.StatusCreated, view)
}

func (a *sellfernAPI) update(w http.ResponseWriter, r *http.Request, id string) {
	obj, ok := a.readBody(w, r)
	if !ok {
		return
	}
	// The request is validated as a whole before it is applied, so a bad
	// field never leaves the webhook half-updated.
	p, msg := parseSellfernFields(obj, false, true, a.srv.config().knownEvents("sellfern"))
	if msg != "" {
		a.fail(w, http.StatusBadRequest, sfValidationError, msg)
		return
	}
	if p.url != nil && a.srv.config().normalizeURLs {
		stored := normalizeURL(*p.url)
		p.url = &stored
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
	h, _ := a.hooks.get(id)
	if !a.remove(id) {
		a.webhookNotFound(w, id)
		return
	}
	a.srv.journal.record("sellfern", JournalDelete, id, h.URL)
	a.ok(w, http.StatusOK, nil)
}

func (a *sellfernAPI) test(w http.ResponseWriter, _ *http.Request, id string) {
	d, found := a.sendTest(id)
	if !found {
		a.webhookNotFound(w, id)
		return
	}
	// The documents do not show this answer; the mock's decision is the delivery in the usual envelope, or
	// nothing but the envelope when a test asks for it.
	if a.srv.config().testNoDelivery {
		a.ok(w, http.StatusOK, nil)
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
	a.okList(w, a.srv.config(), routeSellfernDeliveries, views, nil)
}

// respondWebhook answers with one webhook, its events shuffled when asked:
// a real API may reorder arrays in any response, not only in lists.
func (a *sellfernAPI) respondWebhook(w http.ResponseWriter, status int, view sellfernWebhookJSON) {
	if a.srv.config().shuffle {
		shuffle(a.srv.rng, view.Events)
	}
	a.ok(w, status, view)
}
