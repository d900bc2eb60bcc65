package sellfern

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/seed/terraform-provider-webhooks/internal/apitest"

	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// In fuzzed bodies, TOKEN stands for the client's token and SECRET for a webhook signing secret, so that the
// fuzzer can place either anywhere (the seeds show how). Neither may ever reach an error message.
const (
	fuzzToken  = "sk_test_FUZZ_0a1b2c3d4e"
	fuzzSecret = "whsec_FUZZ_5f6a7b8c9d"
)

func fuzzClient(t *testing.T, rt http.RoundTripper) *Client {
	c, err := New(Config{Token: fuzzToken, Settings: transport.Settings{
		BaseURL:    "http://127.0.0.1:9", // never dialled: the transport answers
		UserAgent:  "terraform-provider-webhooks/fuzz",
		HTTPClient: &http.Client{Transport: rt},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func withPlaceholders(body []byte) []byte {
	body = bytes.ReplaceAll(body, []byte("TOKEN"), []byte(fuzzToken))
	return bytes.ReplaceAll(body, []byte("SECRET"), []byte(fuzzSecret))
}

// checkFuzzMessage holds every error to the rules for what a user may read: a message, printable, valid UTF-8,
// under 2 KB, and free of the token and the secret whatever the server sent.
func checkFuzzMessage(t *testing.T, err error) string {
	t.Helper()
	msg := err.Error()
	if problem := apitest.MessageProblem(msg, fuzzToken, fuzzSecret); problem != "" {
		t.Fatal(problem)
	}
	return msg
}

// callWithID runs one of the calls about a webhook, or the list.
func callOp(ctx context.Context, c *Client, op uint8) (hasID bool, err error) {
	switch op % 5 {
	case 0:
		_, err = c.ListWebhooks(ctx)
		return false, err
	case 1:
		on := false
		err = c.UpdateWebhook(ctx, "wh_fuzz", UpdateRequest{Enabled: &on})
	case 2:
		err = c.DeleteWebhook(ctx, "wh_fuzz")
	case 3:
		_, err = c.SendTest(ctx, "wh_fuzz")
	default:
		_, err = c.ListDeliveries(ctx, "wh_fuzz")
	}
	return true, err
}

// FuzzErrorBody: whatever error answer the server gives (status 300–599, any content type, any body), the call
// fails with an *APIError of that status whose message follows checkFuzzMessage; and a documented envelope with a
// plain message is shown with that message.
func FuzzErrorBody(f *testing.F) {
	f.Add(uint16(100), "application/json", []byte(`{"success":false,"error":{"code":"validation_error","message":"url must be https"}}`), uint8(1))
	f.Add(uint16(101), "application/json", []byte(`{"success":false,"error":{"code":"unauthorized","message":"bad token TOKEN"}}`), uint8(0))
	f.Add(uint16(103), "application/json", []byte(`{"success":false,"error":{"code":"missing_scope","message":"m","details":{"required_scope":"TOKEN","s":"SECRET"}},"meta":{"request_id":"req_TOKEN"}}`), uint8(0))
	f.Fuzz(func(t *testing.T, status uint16, contentType string, body []byte, op uint8) {
		defer apitest.FuzzInput(t, status, contentType, body, op)
		st := 300 + int(status)%300
		body = withPlaceholders(body)
		c := fuzzClient(t, apitest.CannedTransport{Status: st, ContentType: contentType, Body: body})
		hasID, err := callOp(context.Background(), c, op)
		if err == nil {
			t.Fatalf("HTTP %d answered with success", st)
		}
		msg := checkFuzzMessage(t, err)
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("HTTP %d gave %T, want *APIError: %v", st, err, err)
		}
		if ae.StatusCode != st {
			t.Fatalf("StatusCode %d, want %d", ae.StatusCode, st)
		}
		if !strings.Contains(msg, fmt.Sprint(st)) {
			t.Fatalf("message does not give the status %d: %q", st, msg)
		}
		if hasID && st == http.StatusNotFound && !strings.Contains(msg, `"wh_fuzz"`) {
			t.Fatalf("404 message does not name the id: %q", msg)
		}
		// The documented envelope with a short, plain message: the message is shown as sent.
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &env) == nil && plain(env.Error.Message) && !(hasID && st == http.StatusNotFound) {
			if !strings.Contains(msg, env.Error.Message) {
				t.Fatalf("message %q does not show the server's %q", msg, env.Error.Message)
			}
		}
	})
}

// plain reports whether s would be shown unchanged: no longer than the shortest field bound, printable,
// single-spaced, and nothing the client redacts (the token, a signing secret).
func plain(s string) bool {
	return s != "" && utf8.RuneCountInString(s) <= maxCode && transport.CleanText(s, maxCode) == s &&
		!strings.Contains(s, fuzzToken) && !signingSecret.MatchString(s)
}

// FuzzSuccessBody: whatever a 2xx answer's body (the list, a create, an update, a delivery), the client returns a
// result or a clear error, never panics, never quotes the token or the create's secret; a create that succeeds has
// an id.
func FuzzSuccessBody(f *testing.F) {
	f.Add(uint16(0), "application/json", []byte(`{"success":true,"data":[{"id":"wh_1","url":"https://a","events":["order.created"],"enabled":true}]}`), uint8(0))
	f.Add(uint16(1), "application/json", []byte(`{"success":true,"data":{"id":"wh_2","secret":"SECRET","enabled":true}}`), uint8(5))
	// Pages in the ways a list may say more follows, with a request id and a token echoed in a hint.
	f.Add(uint16(0), "application/json", []byte(`{"success":true,"data":[],"meta":{"total":"20","page":1,"limit":10,"request_id":"req_TOKEN"}}`), uint8(0))
	f.Add(uint16(0), "application/json", []byte(`{"success":true,"data":[],"meta":{"pagination":{"links":{"next":"/x?t=TOKEN&s=SECRET"}}}}`), uint8(4))
	f.Add(uint16(0), "application/json", []byte(`{"success":false,"error":{"code":"x","message":"m","details":{"echo":"TOKEN SECRET"}},"meta":{"request_id":"SECRET"}}`), uint8(2))
	f.Fuzz(func(t *testing.T, status uint16, contentType string, body []byte, op uint8) {
		defer apitest.FuzzInput(t, status, contentType, body, op)
		st := 200 + int(status)%100
		body = withPlaceholders(body)
		ctx := context.Background()
		if op%6 == 5 {
			// A create: the list before it and any reconciling list find nothing.
			c := fuzzClient(t, apitest.CannedTransport{Status: st, ContentType: contentType, Body: body, GetBody: []byte(`{"success":true,"data":[]}`)})
			w, err := c.CreateWebhook(ctx, CreateRequest{URL: "https://h.example.com/f", Events: []string{"order.created"}})
			if err != nil {
				checkFuzzMessage(t, err)
				return
			}
			if w == nil || w.ID == "" {
				t.Fatalf("create succeeded without an id: %+v", w)
			}
			return
		}
		c := fuzzClient(t, apitest.CannedTransport{Status: st, ContentType: contentType, Body: body})
		if _, err := callOp(ctx, c, op); err != nil {
			checkFuzzMessage(t, err)
		}
	})
}
