package sellfern

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// TestSendTestAnswers: every reading of the undocumented answer to a test call. The delivery is returned when the
// answer carries one, "success": false is reported with the answer's own error, an answer without a delivery says
// so, and an answer that is not JSON (or whose data is not a delivery) is an error that says the call was not
// repeated.
func TestSendTestAnswers(t *testing.T) {
	const secret = "whsec_0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name, body   string
		status       int
		want         TestResult
		wantDelivery *Delivery
		wantErr      []string
	}{
		{name: "the delivery in the envelope", status: 200,
			body:         `{"success":true,"data":{"id":"dl_1","webhook_id":"wh_abc123","event":"order.created","status_code":200,"success":true,"error":"","created_at":"2026-05-22T10:00:00Z","extra":1}}`,
			want:         TestResult{HTTPStatus: 200},
			wantDelivery: &Delivery{ID: "dl_1", WebhookID: "wh_abc123", Event: "order.created", StatusCode: 200, Success: true, CreatedAt: "2026-05-22T10:00:00Z"}},
		{name: "a failed delivery is still an answer", status: 200,
			body:         `{"success":true,"data":{"id":"dl_2","status_code":502,"error":"bad gateway"}}`,
			want:         TestResult{HTTPStatus: 200},
			wantDelivery: &Delivery{ID: "dl_2", StatusCode: 502, Error: "bad gateway"}},
		{name: "202 with an empty body", status: 202, want: TestResult{HTTPStatus: 202}},
		{name: "204", status: 204, want: TestResult{HTTPStatus: 204}},
		{name: "white space only", status: 200, body: " \n", want: TestResult{HTTPStatus: 200}},
		{name: "envelope without data", status: 200, body: `{"success":true}`, want: TestResult{HTTPStatus: 200}},
		{name: "data null", status: 200, body: `{"success":true,"data":null}`, want: TestResult{HTTPStatus: 200}},
		{name: "data an empty object", status: 200, body: `{"success":true,"data":{}}`, want: TestResult{HTTPStatus: 200}},
		{name: "JSON null", status: 200, body: `null`,
			wantErr: []string{`with HTTP 200 but "success" is missing, so whether the test was sent is unknown`, "the test call was not repeated"}},
		{name: "no success field", status: 200, body: `{"data":{"id":"dl_6","status_code":200}}`,
			wantErr: []string{`"success" is missing`, "the test call was not repeated"}},
		{name: "success false with the envelope's error", status: 200,
			body: `{"success":false,"error":{"code":"endpoint_unreachable","message":"connect: connection refused"}}`,
			want: TestResult{HTTPStatus: 200, Refused: true, Code: "endpoint_unreachable", Message: "connect: connection refused"}},
		{name: "success false with a delivery", status: 200,
			body:         `{"success":false,"error":"delivery_failed","data":{"id":"dl_3","status_code":500,"error":"boom"}}`,
			want:         TestResult{HTTPStatus: 200, Refused: true, Code: "delivery_failed"},
			wantDelivery: &Delivery{ID: "dl_3", StatusCode: 500, Error: "boom"}},
		{name: "success false without an error", status: 200, body: `{"success":false}`,
			want: TestResult{HTTPStatus: 200, Refused: true}},
		{name: "a refusal and a delivery error that quote the signing secret", status: 200,
			body: `{"success":false,"error":{"code":"x","message":"signed with ` + secret + `"},"data":{"id":"dl_4","status_code":401,"error":"bad signature for ` + secret + `"}}`,
			want: TestResult{HTTPStatus: 200, Refused: true, Code: "x", Message: "signed with ***"}, wantDelivery: &Delivery{ID: "dl_4", StatusCode: 401, Error: "bad signature for ***"}},
		{name: "HTML", status: 200, body: `<html>ok</html>`,
			wantErr: []string{"Sellfern API answered POST /api/v2/webhooks/wh_abc123/test with HTTP 200 but a body that is not the documented JSON", "the test call was not repeated"}},
		{name: "data of another shape", status: 200, body: `{"success":true,"data":"queued"}`,
			wantErr: []string{`"data" that is not a delivery`, `queued`, "the test call was not repeated"}},
		{name: "delivery with fields of the wrong type", status: 200, body: `{"success":true,"data":{"id":"dl_5","status_code":"200"}}`,
			wantErr: []string{`"data" that is not a delivery`, "the test call was not repeated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			c := serve(t, func(w http.ResponseWriter, r *http.Request) {
				calls++
				if r.Method != http.MethodPost || r.URL.Path != "/api/v2/webhooks/wh_abc123/test" {
					t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			got, err := c.SendTest(context.Background(), "wh_abc123")
			if calls != 1 {
				t.Errorf("%d test calls, want 1", calls)
			}
			if tc.wantErr != nil {
				wantFragments(t, checkMessage(t, err), tc.wantErr, []string{secret})
				var de *transport.DecodeError
				if !errors.As(err, &de) {
					t.Errorf("want a *transport.DecodeError inside, got %T", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SendTest: %v", err)
			}
			gotDelivery := got.Delivery
			got.Delivery = nil
			if *got != tc.want {
				t.Errorf("result %+v, want %+v", *got, tc.want)
			}
			switch {
			case (gotDelivery == nil) != (tc.wantDelivery == nil):
				t.Errorf("delivery %+v, want %+v", gotDelivery, tc.wantDelivery)
			case gotDelivery != nil && *gotDelivery != *tc.wantDelivery:
				t.Errorf("delivery %+v, want %+v", *gotDelivery, *tc.wantDelivery)
			}
		})
	}
}

// TestSendTestNeverRepeated: whatever goes wrong with a test call, the mock sees exactly one, even from a client
// that retries other calls. When its outcome is unknown the error says it was not repeated; a definite refusal
// (nothing was sent) does not.
func TestSendTestNeverRepeated(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fault    mockserver.FaultKind
		id       string
		want     []string
		notWant  []string
		notFound bool
	}{
		{name: "503", fault: mockserver.Fault503, want: []string{"HTTP 503", "the test call was not repeated", "a repeat would send it twice"}},
		// A 429 is sent again, since Sellfern did nothing, until the call's bound runs out; no event is sent.
		{name: "429", fault: mockserver.Fault429, want: []string{"Sellfern refused POST /sellfern/api/v2/webhooks/",
			"/test with HTTP 429 rate_limited (too many requests, request id req_", "so it did nothing", "requests_per_second"}, notWant: []string{"repeat"}},
		{name: "dropped connection", fault: mockserver.FaultDrop, want: []string{"POST /sellfern/api/v2/webhooks/", "failed", "the test call was not repeated"}},
		{name: "unknown webhook", id: "wh_0000000000000000", want: []string{`Sellfern has no webhook with id "wh_0000000000000000": the account's list of webhooks does not hold it`},
			notWant: []string{"repeat"}, notFound: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := startedMock(t, mockserver.Options{Seed: 7})
			c, err := New(Config{Token: testToken, Settings: transport.Settings{BaseURL: m.SellfernBaseURL(),
				UserAgent: testUserAgent, MaxRetries: 4, MaxElapsed: 2 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			w, err := c.CreateWebhook(context.Background(), CreateRequest{URL: "https://h.example.com/t", Events: []string{"order.created"}})
			if err != nil {
				t.Fatal(err)
			}
			id := w.ID
			if tc.id != "" {
				id = tc.id
			}
			if tc.fault != "" {
				m.SetFaults(mockserver.FaultOptions{Rate: 1, Kinds: []mockserver.FaultKind{tc.fault}, Routes: []string{"sellfern.test"}})
			}
			_, err = c.SendTest(context.Background(), id)
			wantFragments(t, checkMessage(t, err), tc.want, tc.notWant)
			if IsNotFound(err) != tc.notFound {
				t.Errorf("IsNotFound = %v, want %v", IsNotFound(err), tc.notFound)
			}
			n := m.Count("sellfern.test")
			switch {
			case tc.fault == mockserver.Fault429 && (n < 2 || len(m.SellfernDeliveries(w.ID)) != 0):
				t.Errorf("the mock saw %d refused test calls and %d deliveries, want it sent again and no delivery", n,
					len(m.SellfernDeliveries(w.ID)))
			case tc.fault != mockserver.Fault429 && n != 1:
				t.Errorf("the mock saw %d test calls, want exactly 1", n)
			}
		})
	}
}

// TestSendTestCancelled: a test call cancelled while Sellfern holds its answer returns at once, and says that it
// was not repeated (Sellfern may have sent the event).
func TestSendTestCancelled(t *testing.T) {
	arrived := make(chan struct{})
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.SendTest(ctx, "wh_abc123")
		done <- err
	}()
	<-arrived
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	wantFragments(t, checkMessage(t, err), []string{"context canceled", "the test call was not repeated"}, nil)
}

// TestListDeliveriesRedactsSecrets: an endpoint's error text that quotes a signing secret is redacted.
func TestListDeliveriesRedactsSecrets(t *testing.T) {
	const secret = "whsec_0123456789abcdef0123456789abcdef"
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success":true,"data":[{"id":"dl_1","status_code":401,"error":"signature `+secret+` rejected"}]}`)
	})
	ds, err := c.ListDeliveries(context.Background(), "wh_abc123")
	if err != nil || len(ds) != 1 {
		t.Fatalf("ListDeliveries: %+v, %v", ds, err)
	}
	if strings.Contains(ds[0].Error, secret) || ds[0].Error != "signature *** rejected" {
		t.Errorf("error = %q", ds[0].Error)
	}
}
