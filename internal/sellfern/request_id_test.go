package sellfern

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"testing"

	"github.com/seed/terraform-provider-webhooks/internal/mockserver"
	"github.com/seed/terraform-provider-webhooks/internal/transport"
)

// TestRequestID: the client reads the request id Sellfern gives every answer from meta.request_id, and nothing
// else (the transport logs it with every attempt and puts it in every error about the answer: its own tests show
// that); an error from the mock carries the id of its answer.
func TestRequestID(t *testing.T) {
	for body, want := range map[string]string{
		`{"success":true,"data":[],"meta":{"request_id":"req_8f2c"}}`:                "req_8f2c",
		`{"success":false,"error":{"code":"x"},"meta":{"request_id":"req_1","x":1}}`: "req_1",
		`{"success":true,"meta":{"request_id":42}}`:                                  "",
		`{"success":true,"request_id":"req_top"}`:                                    "",
		`{"meta":null}`: "",
		`[{"meta":{"request_id":"req_in_a_list"}}]`: "",
		`<html>`: "",
	} {
		if got := requestID(http.Header{}, []byte(body)); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}

	m := startedMock(t, mockserver.Options{Seed: 5})
	_, err := newClient(t, m.SellfernBaseURL(), noScopeToken, transport.DefaultMaxRetries).ListWebhooks(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || !regexp.MustCompile(`^req_[0-9a-f]{16}$`).MatchString(ae.RequestID) ||
		ae.RequiredScope != Scope || ae.Details != `{"required_scope":"webhooks:manage"}` {
		t.Fatalf("the 403 carries no request id, scope or details: %#v", err)
	}
}
