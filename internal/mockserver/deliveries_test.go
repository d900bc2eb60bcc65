package mockserver_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"
	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
)

var eventIDPattern = regexp.MustCompile(`^evt_[0-9a-f]{24}$`)

// delivering is a mock that delivers to a receiver it starts, and the receiver.
func delivering(t *testing.T) (*mockserver.Server, *apitest.Receiver) {
	t.Helper()
	rcv := apitest.StartReceiver(t)
	return mockserver.New(mockserver.Options{Seed: 1, DeliverTo: rcv.URL}), rcv
}

// TestSellfernDeliveryScheme: an emitted event reaches every enabled webhook subscribed to it as Sellfern's guides
// describe: a POST to the deliver-to address with the URL's path and query, a JSON body with the documented fields
// in their order, the same for every webhook, and X-Sellfern-Signature the hex HMAC-SHA256 of the raw body keyed
// with that webhook's secret, and with no other.
func TestSellfernDeliveryScheme(t *testing.T) {
	s, rcv := delivering(t)
	orders := createSellfern(t, s, "https://hooks.example.com/sellfern/orders?team=a&x=%2F", "order.created", "order.updated")
	audit := createSellfern(t, s, "https://Audit.example.com", "order.created")
	tickets := createSellfern(t, s, "https://hooks.example.com/tickets", "ticket.created")
	rcv.Accept("orders", orders["secret"].(string))
	rcv.Accept("audit", audit["secret"].(string))
	rcv.Accept("tickets", tickets["secret"].(string))

	em, err := s.EmitSellfernEvent("order.created", map[string]any{"order_id": "ord_1", "note": "<b>&</b>"})
	if err != nil {
		t.Fatal(err)
	}
	if !eventIDPattern.MatchString(em.EventID) || em.Event != "order.created" || len(em.Deliveries) != 2 ||
		em.Deliveries[0].WebhookID != orders["id"] || em.Deliveries[1].WebhookID != audit["id"] {
		t.Fatalf("emission = %+v, want deliveries to %v and %v", em, orders["id"], audit["id"])
	}
	for _, d := range em.Deliveries {
		if d.StatusCode != http.StatusNoContent || !d.Success || d.Error != "" || d.EventID != em.EventID || d.Event != "order.created" {
			t.Errorf("delivery %+v, want the receiver's 204", d)
		}
	}
	got := rcv.Take()
	if len(got) != 2 {
		t.Fatalf("the receiver got %d deliveries, want 2: %+v", len(got), got)
	}
	slices.SortFunc(got, func(a, b apitest.Arrival) int { return strings.Compare(a.Path, b.Path) })
	if got[0].Path != "/" || got[1].Path != "/sellfern/orders?team=a&x=%2F" {
		t.Errorf("paths %q and %q, want the URLs' paths and queries", got[0].Path, got[1].Path)
	}
	if !bytes.Equal(got[0].Body, got[1].Body) {
		t.Errorf("the two webhooks got different bodies:\n%s\n%s", got[0].Body, got[1].Body)
	}
	for _, a := range got {
		if a.Method != http.MethodPost || a.ContentType != "application/json" || a.Event != "order.created" || a.EventID() != em.EventID {
			t.Errorf("arrival %+v", a)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(a.Signature) {
			t.Errorf("signature %q is not 64 lowercase hex digits", a.Signature)
		}
	}
	audited, ordered := got[0], got[1]
	if ordered.VerifiedWith != "orders" || audited.VerifiedWith != "audit" {
		t.Errorf("verified with %q and %q, want each webhook's own secret", ordered.VerifiedWith, audited.VerifiedWith)
	}
	if ordered.VerifiesWith(audit["secret"].(string)) || audited.VerifiesWith(orders["secret"].(string)) {
		t.Error("a delivery verifies with another webhook's secret")
	}
	// The body: the documented fields in the documented order, data as given (HTML characters not escaped).
	var fields []string
	dec := json.NewDecoder(bytes.NewReader(ordered.Body))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		key, _ := dec.Token()
		fields = append(fields, key.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(fields, ",") != "id,type,created_at,organization_id,data" {
		t.Errorf("body fields %v", fields)
	}
	var body struct {
		ID             string         `json:"id"`
		Type           string         `json:"type"`
		CreatedAt      string         `json:"created_at"`
		OrganizationID string         `json:"organization_id"`
		Data           map[string]any `json:"data"`
	}
	if err := json.Unmarshal(ordered.Body, &body); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", body.CreatedAt); err != nil {
		t.Errorf("created_at %q: %v", body.CreatedAt, err)
	}
	if body.ID != em.EventID || body.Type != "order.created" || body.OrganizationID != mockserver.SellfernOrganizationID ||
		body.Data["order_id"] != "ord_1" || !bytes.Contains(ordered.Body, []byte(`"note":"<b>&</b>"`)) {
		t.Errorf("body %s", ordered.Body)
	}

	// Only subscribed webhooks get an event; none gets one nobody subscribed to.
	if em, _ := s.EmitSellfernEvent("order.updated", nil); len(em.Deliveries) != 1 || em.Deliveries[0].WebhookID != orders["id"] {
		t.Errorf("order.updated reached %+v, want the orders webhook alone", em.Deliveries)
	}
	if got := rcv.Take(); len(got) != 1 || got[0].VerifiedWith != "orders" || string(got[0].Body[len(got[0].Body)-10:]) != `"data":{}}` {
		t.Errorf("order.updated arrived as %+v", got)
	}
	if em, _ := s.EmitSellfernEvent("expense.created", nil); len(em.Deliveries) != 0 || len(rcv.Take()) != 0 {
		t.Errorf("expense.created was delivered: %+v", em)
	}
	// The deliveries are listed with what the receiver answered.
	ds := data(t, sf(t, s, "GET", "/api/v2/webhooks/"+orders["id"].(string)+"/deliveries", "")).([]any)
	if len(ds) != 2 || ds[0].(map[string]any)["event"] != "order.updated" || ds[1].(map[string]any)["status_code"] != float64(204) ||
		ds[1].(map[string]any)["event_id"] != em.EventID {
		t.Errorf("deliveries = %v", ds)
	}
}

// TestSellfernDeliveryEnabled: a paused webhook gets no event, and gets them again once enabled; a test call
// reaches it all the same, since the call asks for it.
func TestSellfernDeliveryEnabled(t *testing.T) {
	s, rcv := delivering(t)
	w := createSellfern(t, s, "https://hooks.example.com/a", "order.created")
	id := w["id"].(string)
	rcv.Accept("a", w["secret"].(string))
	sf(t, s, "PATCH", "/api/v2/webhooks/"+id, `{"enabled":false}`)
	if em, _ := s.EmitSellfernEvent("order.created", nil); len(em.Deliveries) != 0 || len(rcv.Take()) != 0 {
		t.Errorf("a paused webhook got an event: %+v", em)
	}
	d := data(t, sf(t, s, "POST", "/api/v2/webhooks/"+id+"/test", "")).(map[string]any)
	if got := rcv.Take(); len(got) != 1 || got[0].VerifiedWith != "a" || got[0].Event != "order.created" || d["status_code"] != float64(204) {
		t.Errorf("the test call to a paused webhook: %v, arrivals %+v", d, got)
	} else if !bytes.Contains(got[0].Body, []byte(`"data":{"test":true}`)) || got[0].EventID() != d["event_id"] {
		t.Errorf("test event body %s, delivery %v", got[0].Body, d)
	}
	sf(t, s, "PATCH", "/api/v2/webhooks/"+id, `{"enabled":true}`)
	if em, _ := s.EmitSellfernEvent("order.created", nil); len(em.Deliveries) != 1 || len(rcv.Take()) != 1 {
		t.Errorf("the enabled webhook: %+v", em)
	}
}

// TestSellfernDeliveryAnswers: what the endpoint really answered is recorded, in the test call's answer and the
// deliveries list: a refusal with its words, a redirect (not followed), an unreachable endpoint, no answer in time.
// SetSellfernEndpointFailure does not stand in for a receiver the mock reaches.
func TestSellfernDeliveryAnswers(t *testing.T) {
	s, rcv := delivering(t)
	w := createSellfern(t, s, "https://hooks.example.com/a", "order.created")
	id := w["id"].(string)
	test := func() map[string]any {
		t.Helper()
		r := sf(t, s, "POST", "/api/v2/webhooks/"+id+"/test", "")
		wantStatus(t, r, http.StatusOK)
		return data(t, r).(map[string]any)
	}

	s.SetSellfernEndpointFailure("https://hooks.example.com/a", http.StatusInternalServerError, "simulated")
	if d := test(); d["status_code"] != float64(401) || d["error"] != "signature does not verify" || d["success"] != false {
		t.Errorf("a receiver without the secret: %v", d)
	}
	if got := rcv.Take(); len(got) != 1 || got[0].Status != http.StatusUnauthorized || got[0].VerifiedWith != "" {
		t.Errorf("arrivals %+v", got)
	}
	rcv.Accept("a", w["secret"].(string))
	if d := test(); d["status_code"] != float64(204) || d["error"] != "" || d["success"] != true {
		t.Errorf("a receiver with the secret: %v", d)
	}

	redirect := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:1/elsewhere", http.StatusFound))
	defer redirect.Close()
	if err := s.SetDeliverTo(redirect.URL); err != nil {
		t.Fatal(err)
	}
	if d := test(); d["status_code"] != float64(302) || d["error"] != "the endpoint answered HTTP 302" || d["success"] != false {
		t.Errorf("a redirect: %v", d)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	if err := s.SetDeliverTo(closed); err != nil {
		t.Fatal(err)
	}
	if d := test(); d["status_code"] != float64(0) || !strings.HasPrefix(d["error"].(string), "the endpoint could not be reached: ") ||
		!strings.Contains(d["error"].(string), "refused") {
		t.Errorf("an unreachable endpoint: %v", d)
	}

	stalled := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-stalled }))
	defer slow.Close()
	defer close(stalled)
	if err := s.SetDeliverTo(slow.URL); err != nil {
		t.Fatal(err)
	}
	s.SetDeliveryTimeout(50 * time.Millisecond)
	if d := test(); d["status_code"] != float64(0) || d["error"] != "the endpoint did not answer within 50ms" {
		t.Errorf("an endpoint that does not answer: %v", d)
	}

	// Without a deliver-to address, nothing is sent: the simulated answer is recorded.
	if err := s.SetDeliverTo(""); err != nil {
		t.Fatal(err)
	}
	if d := test(); d["status_code"] != float64(500) || d["error"] != "simulated" {
		t.Errorf("without a deliver-to address: %v", d)
	}
	ds := s.SellfernDeliveries(id)
	if len(ds) != 6 || ds[0].StatusCode != 500 || ds[5].StatusCode != 401 || len(rcv.Arrivals()) != 1 {
		t.Errorf("deliveries %+v", ds)
	}
}

// TestSellfernDeliveryLongAnswer: a refusal's words are recorded on one line, cut short.
func TestSellfernDeliveryLongAnswer(t *testing.T) {
	long := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte("bad\n\trequest: " + strings.Repeat("é", 300)))
	}))
	defer long.Close()
	s := mockserver.New(mockserver.Options{Seed: 1, DeliverTo: long.URL})
	createSellfern(t, s, "https://hooks.example.com/a", "order.created")
	em, err := s.EmitSellfernEvent("order.created", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := em.Deliveries[0]
	if d.StatusCode != 400 || !strings.HasPrefix(d.Error, "bad request: éé") || !strings.HasSuffix(d.Error, "é…") || len(d.Error) > 210 {
		t.Errorf("delivery %+v", d)
	}
}

// TestSellfernEmitControl: POST /_mock/sellfern/emit emits and answers with each delivery, once they are done.
func TestSellfernEmitControl(t *testing.T) {
	rcv := apitest.StartReceiver(t)
	s := started(t, mockserver.Options{Seed: 1, DeliverTo: rcv.URL})
	a := createSellfern(t, s, "https://hooks.example.com/a", "order.created")
	createSellfern(t, s, "https://hooks.example.com/b", "order.created")
	rcv.Accept("a", a["secret"].(string))

	r, err := httpDo(t, "POST", s.URL()+"/_mock/sellfern/emit", "", `{"event":"order.created","data":{"order_id":"ord_9"}}`)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, r, http.StatusOK)
	var answer struct {
		EventID    string           `json:"event_id"`
		Event      string           `json:"event"`
		Deliveries []map[string]any `json:"deliveries"`
	}
	if err := json.Unmarshal(r.body, &answer); err != nil {
		t.Fatal(err)
	}
	if !eventIDPattern.MatchString(answer.EventID) || answer.Event != "order.created" || len(answer.Deliveries) != 2 ||
		answer.Deliveries[0]["webhook_id"] != a["id"] || answer.Deliveries[0]["status_code"] != float64(204) ||
		answer.Deliveries[1]["status_code"] != float64(401) || answer.Deliveries[1]["error"] != "signature does not verify" {
		t.Errorf("answer %s", r.body)
	}
	if got := rcv.Take(); len(got) != 2 || !strings.Contains(string(got[0].Body), `"data":{"order_id":"ord_9"}`) {
		t.Errorf("arrivals %+v", got)
	}

	for body, want := range map[string]string{
		`{"event":"order.deleted"}`:              `unknown event \"order.deleted\"`,
		`{"event":"order.created","data":[1]}`:   "data must be a JSON object",
		`{"event":"order.created","data":null}`:  "data must be a JSON object",
		`{"data":{}}`:                            "event (a string) is required",
		`not json`:                               "the body must be a JSON object",
		`{"event":"ticket.created","data":"x"}`:  "data must be a JSON object",
		`{"event":["order.created"],"data":{}}`:  "event (a string) is required",
		`{"event":"order.created","data":{}} {}`: "the body must be a JSON object",
	} {
		r, err := httpDo(t, "POST", s.URL()+"/_mock/sellfern/emit", "", body)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), want) {
			t.Errorf("emit %s: %d %s, want 400 with %q", body, r.status, r.body, want)
		}
	}
	wantStatus(t, mustHTTP(t, "GET", s.URL()+"/_mock/sellfern/emit", ""), http.StatusMethodNotAllowed)
	if n := len(rcv.Take()); n != 0 || s.Stats().Total != 2 {
		t.Errorf("refused emits delivered %d events, or control calls were counted: %+v", n, s.Stats())
	}
}

// TestSellfernEmitUnknownEvent: the Go method refuses what the control call refuses.
func TestSellfernEmitUnknownEvent(t *testing.T) {
	s := mockserver.New(mockserver.Options{Seed: 1})
	if _, err := s.EmitSellfernEvent("order.deleted", nil); err == nil || !strings.Contains(err.Error(), "order.created") {
		t.Errorf("err = %v, want one that lists the events", err)
	}
	if _, err := s.EmitSellfernEvent("order.created", "text"); err == nil {
		t.Error("data that is not an object was accepted")
	}
	// Without a deliver-to address the delivery is recorded with the simulated answer.
	createSellfern(t, s, "https://hooks.example.com/a", "order.created")
	s.SetSellfernEndpointFailure("https://hooks.example.com/a", 0, "")
	em, err := s.EmitSellfernEvent("order.created", json.RawMessage(`{"n": 1}`))
	if err != nil || len(em.Deliveries) != 1 || em.Deliveries[0].StatusCode != 0 || !strings.Contains(em.Deliveries[0].Error, "could not be reached") {
		t.Errorf("emission %+v, %v", em, err)
	}
	j := s.Journal()
	if len(j) != 2 || j[1].Op != mockserver.JournalDeliver || j[1].ID != em.Deliveries[0].WebhookID {
		t.Errorf("journal %+v, want the create and the delivery", j)
	}
}

// TestCheckDeliverTo: deliveries go to an http:// address on a loopback host, with a port and nothing else.
func TestCheckDeliverTo(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:80", "http://127.0.0.2:9/"} {
		if err := mockserver.CheckDeliverTo(ok); err != nil {
			t.Errorf("CheckDeliverTo(%q) = %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"https://127.0.0.1:8080":     "must be http://HOST:PORT",
		"127.0.0.1:8080":             "must be http://HOST:PORT",
		"http://10.0.0.1:80":         "loopback",
		"http://hooks.example.com:1": "loopback",
		"http://127.0.0.1":           "no port",
		"http://127.0.0.1:1/hooks":   "alone",
		"http://127.0.0.1:1/?a=b":    "alone",
		"http://u:p@127.0.0.1:1":     "alone",
		"http://127.0.0.1:1#x":       "alone",
		"":                           "must be http://HOST:PORT",
	} {
		if err := mockserver.CheckDeliverTo(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckDeliverTo(%q) = %v, want an error with %q", bad, err, want)
		}
	}
	s := mockserver.New(mockserver.Options{})
	if err := s.SetDeliverTo("http://192.0.2.1:80"); err == nil {
		t.Error("SetDeliverTo accepted a non-loopback address")
	}
	defer func() {
		if recover() == nil {
			t.Error("New accepted a non-loopback DeliverTo")
		}
	}()
	mockserver.New(mockserver.Options{DeliverTo: "http://192.0.2.1:80"})
}
