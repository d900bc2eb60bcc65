package mockserver

// Sellfern's deliveries, as its webhook integration guide and its developer guide ("Webhooks") describe them: each
// is a POST of a JSON body {"id": "evt_…", "type", "created_at", "organization_id", "data"} with the headers
// X-Sellfern-Event (the event's name) and X-Sellfern-Signature (the lowercase hex HMAC-SHA256 of the raw body). The
// guide's page is cut off before it names the HMAC's key; the mock keys it with the webhook's signing secret, as
// UTF-8 bytes. README.md beside this file states the scheme and the mock's decisions.
//
// Webhook URLs are public https:// names the mock cannot reach, so a delivery is made only when a deliver-to address
// is set (Options.DeliverTo, SetDeliverTo): every delivery then goes to that loopback address, with the webhook
// URL's path and query, and the receiver's real answer is recorded. Without one, a delivery is recorded with the
// answer SetSellfernEndpointFailure gives the URL, or 200.
//
// Who gets an event is decided under the store's lock, where each recipient is marked as having a delivery in
// flight; the deliveries are made outside it, and a delete waits for the ones in flight to its webhook. So an event
// reaches every webhook that existed (enabled and subscribed) at the moment it was emitted, and nothing reaches a
// webhook once its delete has answered.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// SellfernOrganizationID is the organization of the mock's one Sellfern account: every delivery names it.
const SellfernOrganizationID = "org_mock_demo"

const (
	// defaultDeliveryTimeout bounds one delivery: connecting, sending, and the endpoint's answer.
	defaultDeliveryTimeout = 10 * time.Second
	// answerExcerptBytes is how much of a refusing endpoint's answer is recorded as the delivery's error.
	answerExcerptBytes = 200
	deliveryUserAgent  = "webhooks-mock (Sellfern deliveries)"
)

// testEventData is the "data" of a test call's event, which Sellfern's documents do not show.
var testEventData = json.RawMessage(`{"test":true}`)

// sellfernEventJSON is the body of a delivery, its fields in the documents' order.
type sellfernEventJSON struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	CreatedAt      string          `json:"created_at"`
	OrganizationID string          `json:"organization_id"`
	Data           json.RawMessage `json:"data"`
}

// sellfernEvent is one event and the bytes every webhook that gets it is sent (each signed with its own secret).
type sellfernEvent struct {
	id, typ string
	body    []byte
}

// SellfernEmission is what an emitted event did: its id, and a delivery for each webhook that got it.
type SellfernEmission struct {
	EventID    string
	Event      string
	Deliveries []SellfernDelivery // in the webhooks' creation order
}

// emissionJSON is the answer of POST /_mock/sellfern/emit.
type emissionJSON struct {
	EventID    string                 `json:"event_id"`
	Event      string                 `json:"event"`
	Deliveries []sellfernDeliveryJSON `json:"deliveries"`
}

// EmitSellfernEvent emits event (one of Sellfern's documented events, or one SetSellfernAddedEvents added) with data
// (nil, or anything that encodes as a JSON object) and returns once every delivery is done: each enabled webhook
// subscribed to the event gets one.
func (s *Server) EmitSellfernEvent(event string, data any) (SellfernEmission, error) {
	return s.sellfern.emit(event, data)
}

func (a *sellfernAPI) emit(event string, data any) (SellfernEmission, error) {
	if known := a.srv.config().knownEvents("sellfern"); !slices.Contains(known, event) {
		return SellfernEmission{}, fmt.Errorf("unknown event %q; Sellfern's events: %s", event, strings.Join(known, ", "))
	}
	raw, err := eventData(data)
	if err != nil {
		return SellfernEmission{}, err
	}
	e := a.newEvent(event, raw)
	hooks := a.hold(func(h SellfernWebhook) bool { return h.Enabled && slices.Contains(h.Events, event) })
	out := SellfernEmission{EventID: e.id, Event: event, Deliveries: make([]SellfernDelivery, len(hooks))}
	var wg sync.WaitGroup
	for i, h := range hooks {
		wg.Go(func() { out.Deliveries[i] = a.deliver(h, e, JournalDeliver) })
	}
	wg.Wait()
	return out, nil
}

// sendTest delivers a test event to webhook id, whether it is enabled or not (the call asks for it), with the
// webhook's first event as its type.
func (a *sellfernAPI) sendTest(id string) (SellfernDelivery, bool) {
	hooks := a.hold(func(h SellfernWebhook) bool { return h.ID == id })
	if len(hooks) == 0 {
		return SellfernDelivery{}, false
	}
	h := hooks[0]
	event := ""
	if len(h.Events) > 0 {
		event = h.Events[0]
	}
	return a.deliver(h, a.newEvent(event, testEventData), JournalTest), true
}

// hold picks the webhooks keep accepts and marks a delivery in flight to each, under the store's lock, so that a
// delete that comes after waits for the delivery (remove).
func (a *sellfernAPI) hold(keep func(SellfernWebhook) bool) []SellfernWebhook {
	return a.hooks.pick(keep, func(h SellfernWebhook) {
		a.mu.Lock()
		a.inflight[h.ID]++
		a.mu.Unlock()
	})
}

func (a *sellfernAPI) newEvent(event string, data json.RawMessage) sellfernEvent {
	e := sellfernEvent{id: "evt_" + a.srv.rng.hex(24), typ: event}
	e.body = encodeJSON(sellfernEventJSON{
		ID:             e.id,
		Type:           event,
		CreatedAt:      time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		OrganizationID: SellfernOrganizationID,
		Data:           data,
	})
	return e
}

// deliver makes one delivery of e to h, which hold marked as in flight, records it, and ends the mark.
func (a *sellfernAPI) deliver(h SellfernWebhook, e sellfernEvent, op string) SellfernDelivery {
	cfg := a.srv.config()
	d := SellfernDelivery{
		ID:         "dl_" + a.srv.rng.hex(16) + cfg.deliverySuffix,
		WebhookID:  h.ID,
		Event:      e.typ,
		EventID:    e.id,
		StatusCode: http.StatusOK,
		CreatedAt:  nowSecond(),
	}
	if cfg.deliverTo != nil {
		d.StatusCode, d.Error = a.post(cfg.deliverTo, cfg.deliveryTimeout, h, e)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if answer, ok := a.endpoints[h.URL]; ok && cfg.deliverTo == nil {
		d.StatusCode, d.Error = answer.status, answer.err
	}
	d.Success = d.StatusCode >= 200 && d.StatusCode <= 299 && d.Error == ""
	a.deliveries[h.ID] = append(a.deliveries[h.ID], d)
	a.srv.journal.record("sellfern", op, h.ID, h.URL)
	if a.inflight[h.ID]--; a.inflight[h.ID] <= 0 {
		delete(a.inflight, h.ID)
	}
	a.idle.Broadcast()
	return d
}

// post sends e to the deliver-to address base, with h's path and query, signed with h's secret, and returns the
// endpoint's status (0 when it gave none) and the error Sellfern records: none for a 2xx, else what the endpoint
// answered (the start of its body, or its status) or why it could not be reached. It is made once: the mock does
// not retry a delivery.
func (a *sellfernAPI) post(base *url.URL, timeout time.Duration, h SellfernWebhook, e sellfernEvent) (int, string) {
	target, err := deliveryTarget(base, h.URL)
	if err != nil {
		return 0, "the webhook's url cannot be delivered to: " + err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(e.body))
	if err != nil {
		return 0, "the webhook's url cannot be delivered to: " + err.Error()
	}
	req.Header.Set("Content-Type", jsonContentType)
	req.Header.Set("User-Agent", deliveryUserAgent)
	req.Header.Set("X-Sellfern-Event", e.typ)
	req.Header.Set("X-Sellfern-Signature", signSellfern(h.Secret, e.body))
	resp, err := a.client.Do(req)
	switch {
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return 0, fmt.Sprintf("the endpoint did not answer within %s", timeout)
	case err != nil:
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return 0, "the endpoint could not be reached: " + err.Error()
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4*answerExcerptBytes))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return resp.StatusCode, ""
	}
	return resp.StatusCode, endpointError(resp.StatusCode, answer)
}

// signSellfern is X-Sellfern-Signature: the lowercase hex HMAC-SHA256 of the raw body, keyed with the secret's
// UTF-8 bytes.
func signSellfern(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// endpointError is the error recorded for an endpoint that answered status (not 2xx): the start of its answer on one
// line, or, when it said nothing, its status.
func endpointError(status int, answer []byte) string {
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(answer), "\uFFFD")), " ")
	if text == "" {
		return fmt.Sprintf("the endpoint answered HTTP %d", status)
	}
	if len(text) > answerExcerptBytes {
		cut := answerExcerptBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}

// deliveryTarget is where a delivery to hookURL goes: the deliver-to address with the URL's path and query.
func deliveryTarget(base *url.URL, hookURL string) (string, error) {
	u, err := url.Parse(hookURL)
	if err != nil {
		return "", err
	}
	t := url.URL{Scheme: base.Scheme, Host: base.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	if t.Path == "" {
		t.Path = "/"
	}
	return t.String(), nil
}

// eventData is the "data" of an emitted event: data encoded, which must give a JSON object; nil gives {}.
func eventData(data any) (json.RawMessage, error) {
	if data == nil {
		return json.RawMessage(`{}`), nil
	}
	raw, err := marshalJSON(data)
	if err != nil {
		return nil, fmt.Errorf("data cannot be encoded as JSON: %w", err)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("data must be a JSON object, not %.40s", raw)
	}
	return raw, nil
}

// --- where deliveries go ---

// newDeliveryClient is the client deliveries are made with: no proxy, no redirect followed (a 3xx is the
// endpoint's answer), a new connection each time, and connections to loopback addresses only, whatever a name
// resolves to.
func newDeliveryClient() *http.Client {
	dialer := &net.Dialer{Timeout: defaultDeliveryTimeout, Control: loopbackOnly}
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, DialContext: dialer.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("mockserver: deliveries go to loopback addresses only, not %s", address)
	}
	return nil
}

// isLoopbackName reports whether host (without a port) names the loopback interface: localhost or a loopback IP.
func isLoopbackName(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckDeliverTo says what is wrong with a deliver-to address, or returns nil: it must be http://HOST:PORT with a
// loopback host (127.0.0.1, ::1, localhost), and nothing else, since each delivery adds its webhook URL's path and
// query.
func CheckDeliverTo(addr string) error {
	_, err := parseDeliverTo(addr)
	return err
}

func parseDeliverTo(addr string) (*url.URL, error) {
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("deliver-to address %q must be http://HOST:PORT: %w", addr, err)
	}
	switch {
	case u.Scheme != "http" || u.Host == "":
		return nil, fmt.Errorf("deliver-to address %q must be http://HOST:PORT", addr)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || (u.Path != "" && u.Path != "/"):
		return nil, fmt.Errorf("deliver-to address %q must be http://HOST:PORT alone: each delivery adds its webhook URL's path and query", addr)
	case u.Port() == "":
		return nil, fmt.Errorf("deliver-to address %q has no port", addr)
	case !isLoopbackName(u.Hostname()):
		return nil, fmt.Errorf("deliver-to address %q must be on a loopback host (127.0.0.1, ::1, localhost)", addr)
	}
	return &url.URL{Scheme: "http", Host: u.Host}, nil
}

// mustDeliverTo is Options.DeliverTo parsed, nil for "".
func mustDeliverTo(addr string) *url.URL {
	if addr == "" {
		return nil
	}
	u, err := parseDeliverTo(addr)
	if err != nil {
		panic("mockserver: Options.DeliverTo: " + err.Error())
	}
	return u
}

// SetDeliverTo makes every delivery from now on go to addr (see CheckDeliverTo), with its webhook URL's path and
// query, and record the receiver's answer; "" goes back to recording deliveries without making them.
func (s *Server) SetDeliverTo(addr string) error {
	var u *url.URL
	if addr != "" {
		var err error
		if u, err = parseDeliverTo(addr); err != nil {
			return err
		}
	}
	s.updateConfig(func(c *runtimeConfig) { c.deliverTo = u })
	return nil
}

// --- the control call ---

// serveEmit answers POST /_mock/sellfern/emit {"event": "order.created", "data": {…}} once the deliveries are done,
// with the event's id and each delivery (which webhook, and what its endpoint answered).
func (s *Server) serveEmit(w http.ResponseWriter, r *http.Request) {
	fail := func(code, message string) {
		writeJSON(w, http.StatusBadRequest, jsonContentType, map[string]string{"error": code, "message": message})
	}
	obj, problem := readJSONObject(w, r)
	if problem != bodyOK {
		fail("invalid_json", `the body must be a JSON object: {"event": "order.created", "data": {…}}`)
		return
	}
	var event string
	if decodeField(obj, "event", &event) != fieldSet {
		fail("validation_error", "event (a string) is required")
		return
	}
	var data any
	if raw, ok := obj["data"]; ok {
		data = raw
	}
	em, err := s.EmitSellfernEvent(event, data)
	if err != nil {
		fail("validation_error", err.Error())
		return
	}
	out := emissionJSON{EventID: em.EventID, Event: em.Event, Deliveries: make([]sellfernDeliveryJSON, len(em.Deliveries))}
	for i, d := range em.Deliveries {
		out.Deliveries[i] = deliveryView(d)
	}
	writeJSON(w, http.StatusOK, jsonContentType, out)
}
