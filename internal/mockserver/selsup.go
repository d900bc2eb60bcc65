package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// selsupTypes is the whole documented set of SelSup event types.
var selsupTypes = []string{"CREATE_ORDER", "ORDER", "ORDER_STATUS", "CREATE_PRODUCT"}

const (
	selsupContentType = "application/json; charset=utf-8"
	selsupFirstID     = 1001
)

// SelSup error codes and the user-facing (Russian) messages that go with them.
const (
	ssAccessDenied     = "ACCESS_DENIED"
	ssBadRequest       = "BAD_REQUEST"
	ssValidationError  = "VALIDATION_ERROR"
	ssNotFound         = "NOT_FOUND"
	ssMethodNotAllowed = "METHOD_NOT_ALLOWED"
	ssInternalError    = "INTERNAL_ERROR"
	ssTooManyRequests  = "TOO_MANY_REQUESTS"

	msgBadBody        = "Некорректное тело запроса"
	msgURLNotAbsolute = "Некорректный адрес вебхука: требуется абсолютный URL"
	msgNoTypes        = "Нужно указать хотя бы один тип события"
	msgOrgNotFound    = "Организация не найдена"
	msgHookNotFound   = "Вебхук не найден"
)

// SelSupWebhook is a webhook as the SelSup mock stores it.
type SelSupWebhook struct {
	ID             int64
	Name           string
	URL            string
	ClientID       int64
	OrganizationID int64
	Types          []string
}

// Wire shapes.
type (
	selsupWebhookJSON struct {
		ID             int64     `json:"id"`
		Name           string    `json:"name"`
		URL            string    `json:"url"`
		ClientID       int64     `json:"clientId"`
		OrganizationID int64     `json:"organizationId,omitempty"` // 0 means unset
		Types          *[]string `json:"types,omitempty"`          // nil only when SelSupOmitTypes is on
	}
	// selsupErr is the documented 400 shape; 403 and 404 use only "error"
	// (and "localMessage" for our 404).
	selsupErr struct {
		Error        string         `json:"error"`
		LocalMessage string         `json:"localMessage,omitempty"`
		Params       map[string]any `json:"params,omitempty"`
	}
	selsupServerErr struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		System  string `json:"system"`
	}
)

// selsupAPI is the SelSup service. Each API key belongs to a client; a client
// sees and deletes only its own webhooks.
type selsupAPI struct {
	srv   *Server
	keys  map[string]int64 // read-only after construction
	orgs  []int64          // read-only; nil = any positive organization id exists
	table []route

	hooks  *store[int64, SelSupWebhook]
	nextID int64 // touched only by fill, under the store's lock
}

// selsupHandler is a route handler that knows the caller's client id.
type selsupHandler func(w http.ResponseWriter, r *http.Request, clientID int64, param string)

func newSelSupAPI(srv *Server, keys map[string]int64, orgs []int64) *selsupAPI {
	a := &selsupAPI{
		srv:    srv,
		keys:   keys,
		orgs:   orgs,
		hooks:  newStore(func(h *SelSupWebhook) int64 { return h.ID }, cloneSelSup),
		nextID: selsupFirstID,
	}
	a.table = []route{
		newRoute(http.MethodGet, "/api/webhook/", routeSelSupList, false, a.authed(a.list)),
		newRoute(http.MethodPost, "/api/webhook/", routeSelSupCreate, true, a.authed(a.create)),
		newRoute(http.MethodDelete, "/api/webhook/{}", routeSelSupDelete, false, a.authed(a.delete)),
	}
	return a
}

// --- service interface ---

func (a *selsupAPI) routes() []route { return a.table }

func (a *selsupAPI) notFound(w http.ResponseWriter, _ *http.Request) {
	a.fail(w, http.StatusNotFound, selsupErr{Error: ssNotFound, LocalMessage: "Ресурс не найден"})
}

func (a *selsupAPI) methodNotAllowed(w http.ResponseWriter, _ *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	a.fail(w, http.StatusMethodNotAllowed, selsupErr{Error: ssMethodNotAllowed, LocalMessage: "Метод не поддерживается"})
}

func (a *selsupAPI) writeFault(w http.ResponseWriter, kind FaultKind) {
	if kind == Fault429 {
		a.fail(w, http.StatusTooManyRequests, selsupErr{Error: ssTooManyRequests})
		return
	}
	a.fail(w, http.StatusServiceUnavailable, selsupServerErr{
		Error:   ssInternalError,
		Message: "Сервис временно недоступен",
		System:  "mockserver: injected fault 503",
	})
}

// --- responses ---

func (a *selsupAPI) fail(w http.ResponseWriter, status int, body any) {
	writeJSON(w, status, selsupContentType, body)
}

func (a *selsupAPI) badRequest(w http.ResponseWriter, code, message string, params map[string]any) {
	a.fail(w, http.StatusBadRequest, selsupErr{Error: code, LocalMessage: message, Params: params})
}

// --- auth ---

// authed checks the raw API key (no "Bearer": a "Bearer <key>" value is just
// a wrong key) before anything else.
func (a *selsupAPI) authed(h selsupHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, param string) {
		key := r.Header.Get("Authorization")
		clientID, ok := a.keys[key]
		if key == "" || !ok {
			a.fail(w, http.StatusForbidden, selsupErr{Error: ssAccessDenied})
			return
		}
		h(w, r, clientID, param)
	}
}

// --- handlers ---

func (a *selsupAPI) list(w http.ResponseWriter, r *http.Request, clientID int64, _ string) {
	cfg := a.srv.config()
	views := []selsupWebhookJSON{} // an empty array, never null
	for _, h := range a.hooks.all() {
		if h.ClientID == clientID {
			views = append(views, selsupView(h, !cfg.omitTypes))
		}
	}
	if cfg.shuffle {
		shuffle(a.srv.rng, views)
		for i := range views {
			if views[i].Types != nil {
				shuffle(a.srv.rng, *views[i].Types)
			}
		}
	}
	if n := cfg.pageSize; n > 0 && len(views) > n {
		w.Header().Set("Link", fmt.Sprintf(`<%s?page=2&size=%d>; rel="next"`, r.URL.Path, n))
		views = views[:n]
	}
	applyListHint(w, cfg, routeSelSupList) // a bare array: only the hint's headers
	writeJSON(w, http.StatusOK, selsupContentType, views)
}

func (a *selsupAPI) create(w http.ResponseWriter, r *http.Request, clientID int64, _ string) {
	waitForCommit(r)
	obj, problem := readJSONObject(w, r)
	switch problem {
	case bodyOK:
	case bodyTooLarge:
		a.badRequest(w, ssBadRequest, msgBadBody, map[string]any{"maxBytes": maxBodyBytes})
		return
	default:
		a.badRequest(w, ssBadRequest, msgBadBody, nil)
		return
	}
	h, code, msg, params := parseSelSupWebhook(obj, a.srv.config().knownEvents("selsup"))
	if code == "" && h.OrganizationID != 0 && a.orgs != nil && !slices.Contains(a.orgs, h.OrganizationID) {
		code, msg, params = ssValidationError, msgOrgNotFound, map[string]any{"field": "organizationId", "value": h.OrganizationID}
	}
	if code != "" {
		a.badRequest(w, code, msg, params)
		return
	}
	// "id" and "clientId" in the body are ignored: the service sets them.
	h.ClientID = clientID
	cfg := a.srv.config()
	if cfg.normalizeURLs {
		h.URL = normalizeURL(h.URL)
	}
	if cfg.twin {
		twin := h
		a.srv.noteTwin(strconv.FormatInt(a.hooks.add(twin, a.fill).ID, 10))
	}
	view := selsupView(a.hooks.add(h, a.fill), true)
	a.srv.journal.record("selsup", JournalCreate, strconv.FormatInt(view.ID, 10), view.URL)
	if a.srv.config().shuffle {
		shuffle(a.srv.rng, *view.Types)
	}
	writeJSON(w, http.StatusOK, selsupContentType, view)
}

func (a *selsupAPI) delete(w http.ResponseWriter, _ *http.Request, clientID int64, param string) {
	id, err := strconv.ParseInt(param, 10, 64)
	if err != nil {
		a.badRequest(w, ssBadRequest, "Некорректный идентификатор вебхука: "+param,
			map[string]any{"field": "webhookId", "value": param})
		return
	}
	h, _ := a.hooks.get(id)
	if !a.remove(id, clientID) {
		a.fail(w, http.StatusNotFound, selsupErr{Error: ssNotFound, LocalMessage: msgHookNotFound})
		return
	}
	a.srv.journal.record("selsup", JournalDelete, strconv.FormatInt(id, 10), h.URL)
	w.WriteHeader(http.StatusOK) // the documented 200 has no body
}

// parseSelSupWebhook decodes and validates a create request. A field of the
// wrong JSON type fails as an unreadable body (BAD_REQUEST), as a Java service
// fails to deserialize it; JSON null means "not set", as it does there. Rule
// violations fail with VALIDATION_ERROR naming the field in params.
func parseSelSupWebhook(obj map[string]json.RawMessage, known []string) (h SelSupWebhook, code, msg string, params map[string]any) {
	state := map[string]fieldState{}
	for _, f := range []struct {
		name string
		dst  any
	}{
		{"name", &h.Name},
		{"url", &h.URL},
		{"organizationId", &h.OrganizationID},
		{"types", &h.Types},
	} {
		state[f.name] = decodeField(obj, f.name, f.dst)
		if state[f.name] == fieldWrongType {
			return h, ssBadRequest, msgBadBody, map[string]any{"field": f.name}
		}
	}

	if p := checkWebhookURL(h.URL, "http", "https"); p != urlOK {
		return h, ssValidationError, selsupURLMessage(p), map[string]any{"field": "url"}
	}
	if len(h.Types) == 0 {
		return h, ssValidationError, msgNoTypes, map[string]any{"field": "types"}
	}
	if i, dup := checkEnum(h.Types, known); i >= 0 {
		msg := "Неизвестный тип события: " + h.Types[i]
		if dup {
			msg = "Тип события указан повторно: " + h.Types[i]
		}
		return h, ssValidationError, msg, map[string]any{"field": "types", "value": h.Types[i]}
	}
	if state["organizationId"] == fieldSet && h.OrganizationID <= 0 {
		return h, ssValidationError, msgOrgNotFound, map[string]any{"field": "organizationId", "value": h.OrganizationID}
	}
	return h, "", "", nil
}

func selsupURLMessage(p urlProblem) string {
	switch p {
	case urlTooLong:
		return fmt.Sprintf("Адрес вебхука слишком длинный: допускается не более %d символов", maxURLChars)
	case urlBadScheme:
		return "Некорректный адрес вебхука: допускаются только http и https"
	case urlUserinfo:
		return "Адрес вебхука не должен содержать имя пользователя и пароль"
	default:
		return msgURLNotAbsolute
	}
}

// --- state ---

// fill completes a webhook being stored: ids come from one counter shared by all clients, like a database
// sequence, and are never reused; a webhook stored with its own id moves the counter past it.
func (a *selsupAPI) fill(h *SelSupWebhook, _ func(int64) bool) {
	if h.ID == 0 {
		h.ID = a.nextID
	}
	a.nextID = max(a.nextID, h.ID+1)
	if h.ClientID == 0 {
		h.ClientID = DemoSelSupClientID
	}
}

// remove deletes webhook id if it belongs to clientID (0 = any client).
func (a *selsupAPI) remove(id, clientID int64) bool {
	return a.hooks.remove(id, func(h SelSupWebhook) bool { return clientID == 0 || h.ClientID == clientID })
}

func (a *selsupAPI) stateView() []selsupWebhookJSON {
	hooks := a.hooks.all()
	views := make([]selsupWebhookJSON, len(hooks))
	for i := range hooks {
		views[i] = selsupView(hooks[i], true)
	}
	return views
}

func selsupView(h SelSupWebhook, withTypes bool) selsupWebhookJSON {
	v := selsupWebhookJSON{
		ID:             h.ID,
		Name:           h.Name,
		URL:            h.URL,
		ClientID:       h.ClientID,
		OrganizationID: h.OrganizationID,
	}
	if withTypes {
		types := slices.Clone(h.Types)
		if types == nil {
			types = []string{}
		}
		v.Types = &types
	}
	return v
}

func cloneSelSup(h SelSupWebhook) SelSupWebhook {
	h.Types = slices.Clone(h.Types)
	return h
}

// --- state access for tests ---

// SelSupWebhooks returns copies of all SelSup webhooks (of every client) in
// creation order.
func (s *Server) SelSupWebhooks() []SelSupWebhook { return s.selsup.hooks.all() }

// SelSupWebhook returns a copy of one webhook.
func (s *Server) SelSupWebhook(id int64) (SelSupWebhook, bool) { return s.selsup.hooks.get(id) }

// SelSupPut stores w as if changed outside Terraform. ID 0 inserts under the
// next id; a known ID replaces that webhook in place; an unknown ID is
// inserted under that ID (and later ids continue after it). ClientID 0 means
// DemoSelSupClientID. No validation is done.
func (s *Server) SelSupPut(w SelSupWebhook) SelSupWebhook {
	return s.selsup.hooks.put(w, func(_ SelSupWebhook, w *SelSupWebhook) {
		if w.ClientID == 0 {
			w.ClientID = DemoSelSupClientID
		}
	}, s.selsup.fill)
}

// SelSupDelete removes a webhook of any client; it reports whether it existed.
func (s *Server) SelSupDelete(id int64) bool { return s.selsup.remove(id, 0) }
